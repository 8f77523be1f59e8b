mod admin;
mod admin_payments;
mod answers;
mod auth;
#[cfg(feature = "hydrate")]
mod browser;
mod checkin;
mod codes;
mod dashboard;
mod doors;
mod editor;
mod event;
mod guard;
mod home;
mod manage;
mod not_found;
mod orders;
mod questions;
mod sales;
mod tickets;
mod waitlist;

pub use admin::AdminUsersPage;
pub use admin_payments::AdminPaymentsPage;
pub use auth::{
    AccountPage, ForgotPasswordPage, LoginPage, LogoutButton, RegisterPage, ResetPasswordPage,
    VerifyEmailPage,
};
pub use checkin::CheckInPage;
pub use dashboard::DashboardPage;
pub use editor::{EditEventPage, NewEventPage};
pub use event::EventPage;
pub use guard::SignInRequired;
pub use home::HomePage;
pub use manage::{EventSalesPage, ManagedOrderPage};
pub use not_found::NotFoundPage;
pub use orders::{DemoPaymentPage, DevMailboxPage, MyTicketsPage, OrderPage};
pub use tickets::HeldTicketPage;
pub use waitlist::WaitlistOfferPage;

use crate::error::AppError;
use leptos::prelude::*;

/// A counter that grows every `every` while the page is open in a browser (never on the
/// server): a resource that reads it refreshes on that beat.
pub fn use_ticker(every: std::time::Duration) -> RwSignal<u32> {
    let tick = RwSignal::new(0_u32);
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), every);
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    tick
}

/// The error of the server function at `action_path` after a form was posted without
/// JavaScript: the server sent the browser back with it in the URL.
pub fn error_from_url(action_path: &str) -> Option<AppError> {
    use leptos::server_fn::error::ServerFnUrlError;
    let query = leptos_router::hooks::use_query_map();
    let query = query.read_untracked();
    (query.get("__path").as_deref() == Some(action_path))
        .then(|| query.get("__err"))
        .flatten()
        .map(|err| ServerFnUrlError::<AppError>::decode_err(&err))
}

/// How a page shows a failed load: the catalogue message, and the matching HTTP status.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    super::status::set_status(error.status().as_u16());
    if let AppError::NotFound(_) = error {
        return view! { <NotFoundPage /> }.into_any();
    }
    view! {
        <section class="panel error-panel" role="alert">
            <h1>"Something went wrong"</h1>
            <p>{error.to_string()}</p>
            <p>
                <a href="/">"Back to all events"</a>
            </p>
        </section>
    }
    .into_any()
}
