//! Pages and components. Knows `api` and `domain`; never the database or secrets.
mod layout;
mod pages;
mod session;
mod status;

use layout::{ConfirmEmailBanner, DemoBanner, Footer, Header};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};
use pages::{
    AccountPage, AdminPaymentsPage, AdminUsersPage, CheckInPage, DashboardPage, DemoPaymentPage,
    DevMailboxPage, EditEventPage, EventPage, EventSalesPage, ForgotPasswordPage, HeldTicketPage,
    HomePage, LoginPage, ManagedOrderPage, MyTicketsPage, NewEventPage, NotFoundPage, OrderPage,
    RegisterPage, ResetPasswordPage, VerifyEmailPage, WaitlistOfferPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="TickEx: tickets for events you will love." />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=page_title />
        <Router>
            <SessionProvider>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <DemoBanner />
            <Header />
            <ConfirmEmailBanner />
            <main id="main" class="container">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/events") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/events/:slug") view=EventPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard/events/new") view=NewEventPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard/events/:id") view=EditEventPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard/events/:id/orders") view=EventSalesPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard/orders/:id") view=ManagedOrderPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/payments") view=AdminPaymentsPage ssr=SsrMode::Async />
                    <Route path=path!("/orders/:id") view=OrderPage ssr=SsrMode::Async />
                    <Route path=path!("/pay/demo/:id") view=DemoPaymentPage ssr=SsrMode::Async />
                    <Route path=path!("/tickets") view=MyTicketsPage ssr=SsrMode::Async />
                    <Route path=path!("/tickets/:reference") view=HeldTicketPage ssr=SsrMode::Async />
                    <Route path=path!("/waitlist/:entry") view=WaitlistOfferPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/dev/mailbox") view=DevMailboxPage ssr=SsrMode::Async />
                    <Route path=path!("/checkin/:event") view=CheckInPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
            </SessionProvider>
        </Router>
    }
}

/// "Event · TickEx". leptos_meta writes the server-rendered `<title>` without escaping, so
/// the server escapes it here; the browser sets `document.title`, which needs the raw text.
fn page_title(title: String) -> String {
    let full = if title.is_empty() {
        "TickEx".to_owned()
    } else {
        format!("{title} · TickEx")
    };
    if cfg!(feature = "ssr") {
        full.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        full
    }
}

/// Provides the session inside the router, where the current location is known.
#[component]
fn SessionProvider(children: Children) -> impl IntoView {
    session::provide_session();
    children()
}
