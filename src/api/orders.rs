use crate::domain::{
    AttendeeRow, CheckoutLine, ManagedOrder, OrderView, OrganizerOrderRow, TicketGroup,
};
use crate::error::AppError;
use leptos::prelude::*;

/// Holds the chosen tickets and returns where to pay (the browser is sent there). An
/// anonymous buyer is sent to sign in and brought back to the same selection.
#[server]
pub async fn checkout(event_id: String, lines: Vec<CheckoutLine>) -> Result<String, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::{auth::guard, services::orders};
        let url = match guard::current_user(&state).await? {
            Some(buyer) => {
                orders::checkout(&state, &buyer, &event_id, &lines, chrono::Utc::now()).await?
            }
            // Not an error: the buyer is on their way, through the sign-in page.
            None => orders::sign_in_first(&state, &event_id, &lines).await?,
        };
        leptos_axum::redirect(&url);
        Ok(url)
    })
    .await
}

/// The buyer's order, as it is (a read: nothing changes).
#[server]
pub async fn get_order(id: String) -> Result<OrderView, AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::services::orders;
        orders::order_view(&state, &user, &id).await
    })
    .await
}

/// Back from Stripe with `session_id`: asks Stripe at once whether it is paid, instead of
/// waiting for the webhook, and fulfils it if so.
#[server]
pub async fn confirm_payment(id: String, session_id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::auth::guard;
        use crate::server::services::orders;
        guard::throttle(
            &state,
            &[(&state.throttles.payment_checks_by_user, &user.id)],
        )?;
        orders::confirm_payment(&state, &user, &id, &session_id).await?;
        leptos_axum::redirect(&format!("/orders/{id}"));
        Ok(())
    })
    .await
}

/// The buyer gives up paying (Stripe's cancel link leads here, or the demo page's Cancel):
/// the held seats go back on sale.
#[server]
pub async fn cancel_payment(id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::services::orders;
        orders::cancel_payment(&state, &user, &id).await?;
        leptos_axum::redirect(&format!("/orders/{id}"));
        Ok(())
    })
    .await
}

/// The demo gateway's Pay button: the same fulfilment the Stripe webhook runs.
#[server]
pub async fn pay_demo_order(id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::services::orders;
        demo_only(&state)?;
        orders::pay_demo_order(&state, &user, &id).await?;
        leptos_axum::redirect(&format!("/orders/{id}"));
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn demo_only(state: &crate::server::state::AppState) -> Result<(), AppError> {
    if state.payments.is_demo() {
        Ok(())
    } else {
        Err(AppError::NotFound("payment page".into()))
    }
}

#[server]
pub async fn list_my_tickets() -> Result<Vec<TicketGroup>, AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::services::orders;
        orders::my_tickets(&state, &user).await
    })
    .await
}

/// An event's orders for its organizer: `query` matches references, names and emails;
/// `status` is empty for any status.
#[server]
pub async fn list_event_orders(
    event_id: String,
    query: String,
    status: String,
) -> Result<Vec<OrganizerOrderRow>, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::domain::OrderSearch;
        use crate::server::services::orders;
        let search = OrderSearch::parse(&query, &status).map_err(AppError::Validation)?;
        orders::event_orders(&state, &user, &event_id, &search).await
    })
    .await
}

/// An event's tickets and who holds them, for its organizer.
#[server]
pub async fn list_event_attendees(
    event_id: String,
    query: String,
) -> Result<Vec<AttendeeRow>, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::domain::OrderSearch;
        use crate::server::services::orders;
        let search = OrderSearch::parse(&query, "").map_err(AppError::Validation)?;
        orders::event_attendees(&state, &user, &event_id, &search).await
    })
    .await
}

/// One order with its tickets and status log, for its event's organizer.
#[server]
pub async fn get_managed_order(id: String) -> Result<ManagedOrder, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::orders;
        orders::managed_order(&state, &user, &id).await
    })
    .await
}

/// An organizer cancels an order still waiting for payment; its seats go back on sale.
#[server]
pub async fn cancel_order(id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::orders;
        orders::cancel_pending_order(&state, &user, &id).await
    })
    .await
}

/// An organizer cancels and refunds a paid order.
#[server]
pub async fn refund_order(id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::orders;
        orders::refund_order(&state, &user, &id).await
    })
    .await
}

/// Sends the tickets of a paid order by email again (buyer or organizer; rate limited).
#[server]
pub async fn resend_tickets(id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::services::orders;
        orders::resend_tickets(&state, &user, &id, chrono::Utc::now()).await
    })
    .await
}

/// The organizer sends a paid order's tickets to a corrected address (after a bounce).
#[server]
pub async fn send_tickets_to(id: String, email: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::services::orders;
        let email = crate::domain::Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        orders::send_tickets_to(&state, &user, &id, &email, chrono::Utc::now()).await
    })
    .await
}

/// The dev mailbox: what TickEx would have emailed to the signed-in user (an admin: to
/// anyone). Only in demo mode without an email provider.
#[server]
pub async fn list_dev_mailbox() -> Result<Vec<crate::domain::DevEmail>, AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::email::outbox;
        if !state.dev_mailbox_open() {
            return Err(AppError::NotFound("page".into()));
        }
        outbox::dev_mailbox(&state, &user).await
    })
    .await
}
