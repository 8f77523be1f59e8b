//! Page guards. They keep guarded HTML from ever rendering for the wrong person; the
//! server functions behind the pages check authorisation again on their own.
use crate::app::session::use_session;
use crate::domain::UserView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// Sends an anonymous visitor to sign in, and back here afterwards.
#[component]
pub fn SignInRequired() -> impl IntoView {
    let location = use_location();
    let here = format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    );
    let target = format!("/login?next={}", crate::domain::urlencode(&here));
    view! { <Redirect path=target /> }
}

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    crate::app::status::set_status(403);
    view! {
        <Title text="Organizers only" />
        <section class="panel empty-state">
            <p class="eyebrow">"403"</p>
            <h1>"This area is for organizers"</h1>
            <p>"Your account can buy tickets. To create events and see the dashboard, turn your account into an organizer account."</p>
            <p><a class="button" href="/account">"Become an organizer"</a></p>
        </section>
    }
}

/// Renders `children` only for a signed-in visitor; others are sent to sign in.
#[component]
pub fn SignedIn(children: ChildrenFn) -> impl IntoView {
    guarded(children, |_| true, forbidden_page)
}

/// Renders `children` with the user only when they may organize events.
#[component]
pub fn OrganizerOnly(children: ChildrenFn) -> impl IntoView {
    guarded(children, |user| user.role.can_organize(), forbidden_page)
}

/// Renders `children` only for admins.
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    guarded(
        children,
        |user| user.role == crate::domain::Role::Admin,
        || view! { <super::ErrorPanel error=crate::error::AppError::Forbidden /> }.into_any(),
    )
}

fn forbidden_page() -> AnyView {
    view! { <ForbiddenPage /> }.into_any()
}

fn guarded(
    children: ChildrenFn,
    allowed: fn(&UserView) -> bool,
    forbidden: fn() -> AnyView,
) -> impl IntoView {
    let session = use_session();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.user().await {
                    None => view! { <SignInRequired /> }.into_any(),
                    Some(user) if !allowed(&user) => forbidden(),
                    Some(_) => children.read_value()().into_any(),
                }
            })}
        </Suspense>
    }
}
