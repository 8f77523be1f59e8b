//! Who is signed in, loaded once per navigation and shared by the header and the pages.
use crate::api::auth::get_current_user;
use crate::domain::UserView;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[derive(Clone, Copy)]
pub struct SessionContext {
    user: Resource<Option<UserView>>,
    version: RwSignal<u32>,
}

impl SessionContext {
    /// The signed-in user; a failed lookup counts as signed out.
    pub async fn user(&self) -> Option<UserView> {
        self.user.await
    }

    /// Call after signing in or out so every view reloads the user.
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// Must be called inside the `<Router>`: the user is reloaded on every navigation.
pub fn provide_session() {
    let location = use_location();
    let version = RwSignal::new(0_u32);
    let user = Resource::new(
        move || (location.pathname.get(), version.get()),
        |_| async { get_current_user().await.ok().flatten() },
    );
    provide_context(SessionContext { user, version });
}

pub fn use_session() -> SessionContext {
    expect_context::<SessionContext>()
}
