use super::pages::LogoutButton;
use super::session::use_session;
use crate::api::auth::is_demo_mode;
use crate::domain::Role;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="site-header">
            <nav class="container nav" aria-label="Main">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "TickEx"
                </A>
                <ul class="nav-links">
                    <li>
                        <A href="/events">"Events"</A>
                    </li>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match session.user().await {
                                None => view! {
                                    <li><A href="/login">"Sign in"</A></li>
                                    <li><A href="/register" attr:class="nav-cta">"Register"</A></li>
                                }.into_any(),
                                Some(user) => view! {
                                    <li><A href="/tickets">"My tickets"</A></li>
                                    {user.role.can_organize().then(|| view! {
                                        <li><A href="/dashboard">"Dashboard"</A></li>
                                    })}
                                    {(user.role == Role::Admin).then(|| view! {
                                        <li><A href="/admin/users">"Users"</A></li>
                                    })}
                                    <li><A href="/account">{user.name.clone()}</A></li>
                                    <li><LogoutButton /></li>
                                }.into_any(),
                            }
                        })}
                    </Transition>
                </ul>
            </nav>
        </header>
    }
}

/// On every page of a demo-mode server: nothing here is real.
#[component]
pub fn DemoBanner() -> impl IntoView {
    let demo = Resource::new(|| (), |_| is_demo_mode());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                demo.await.unwrap_or(false).then(|| view! {
                    <aside class="demo-banner" aria-label="Demo mode">
                        "Demo mode: sample data, test payments (no money moves) and a dev mailbox. Not for real events."
                    </aside>
                })
            })}
        </Suspense>
    }
}

/// On every page while the signed-in user's address is unconfirmed.
#[component]
pub fn ConfirmEmailBanner() -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                session.user().await.filter(|user| !user.email_verified).map(|user| view! {
                    <aside class="container notice confirm-email-banner" aria-label="Reminder">
                        {format!("Please confirm {} with the link we emailed you. ", user.email)}
                        <A href="/account">"Send it again"</A>
                    </aside>
                })
            })}
        </Transition>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container footer-inner">
                <p>"TickEx · open event ticketing"</p>
            </div>
        </footer>
    }
}
