use crate::domain::holder::HolderIn;
use crate::domain::{
    AttendeeRow, CheckoutLine, HeldTicket, ManagedOrder, OrderView, OrganizerOrderRow, TicketGroup,
};
use crate::error::AppError;
use leptos::prelude::*;

/// Holds the chosen tickets and returns where to pay (the browser is sent there). A
/// visitor without an account buys as a guest with a name and an email.
#[server]
pub async fn checkout(
    event_id: String,
    lines: Vec<CheckoutLine>,
    guest_name: Option<String>,
    guest_email: Option<String>,
    holders: Option<Vec<HolderIn>>,
    answers: Option<std::collections::BTreeMap<String, String>>,
    code: Option<String>,
) -> Result<String, AppError> {
    crate::api::serve(|state| async move {
        use crate::domain::holder::GuestDetails;
        use crate::server::{auth::guard, services::orders};
        let user = guard::current_user(&state).await?;
        let buyer = match &user {
            Some(user) => orders::Purchaser::Account(user),
            None => {
                // A guest order is an account's worth of work for the server: the same limit.
                let address = guard::client_address(&state);
                guard::throttle(&state, &[(&state.throttles.accounts_by_address, &address)])?;
                orders::Purchaser::Guest(GuestDetails::parse(
                    guest_name.as_deref().unwrap_or_default(),
                    guest_email.as_deref().unwrap_or_default(),
                )?)
            }
        };
        let holders = holders.unwrap_or_default();
        let input = orders::BuyerInput {
            holders: &holders,
            answers: answers.unwrap_or_default(),
            code: code.as_deref(),
            offer: None,
        };
        let url = orders::checkout(
            &state,
            &buyer,
            &event_id,
            &lines,
            &input,
            chrono::Utc::now(),
        )
        .await?;
        leptos_axum::redirect(&url);
        Ok(url)
    })
    .await
}

/// The order's buyer: the signed-in account, the key of the order's link, or both.
#[cfg(feature = "ssr")]
async fn as_buyer(
    state: &crate::server::state::AppState,
    key: Option<String>,
) -> Result<crate::server::services::orders::OrderAccess, AppError> {
    Ok(crate::server::services::orders::OrderAccess {
        user: crate::server::auth::guard::current_user(state).await?,
        key: key.filter(|k| !k.trim().is_empty()),
    })
}

/// The buyer's order, as it is (a read: nothing changes).
#[server]
pub async fn get_order(id: String, key: Option<String>) -> Result<OrderView, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::orders;
        orders::order_view(&state, &as_buyer(&state, key).await?, &id).await
    })
    .await
}

/// Back from Stripe with `session_id`: asks Stripe at once whether it is paid, instead of
/// waiting for the webhook, and fulfils it if so.
#[server]
pub async fn confirm_payment(
    id: String,
    session_id: String,
    key: Option<String>,
) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::auth::guard;
        use crate::server::services::orders;
        guard::throttle(
            &state,
            &[(
                &state.throttles.payment_checks_by_user,
                &format!("order:{id}"),
            )],
        )?;
        let access = as_buyer(&state, key.clone()).await?;
        orders::confirm_payment(&state, &access, &id, &session_id).await?;
        leptos_axum::redirect(&order_page(&id, key.as_deref()));
        Ok(())
    })
    .await
}

/// The order page's address, with the link key when the buyer came by one.
pub fn order_page(id: &str, key: Option<&str>) -> String {
    match key.filter(|k| !k.is_empty()) {
        Some(key) => format!("/orders/{id}?key={}", crate::domain::urlencode(key)),
        None => format!("/orders/{id}"),
    }
}

/// The buyer gives up paying (Stripe's cancel link leads here, or the demo page's Cancel):
/// the held seats go back on sale.
#[server]
pub async fn cancel_payment(id: String, key: Option<String>) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::orders;
        let access = as_buyer(&state, key.clone()).await?;
        orders::cancel_payment(&state, &access, &id).await?;
        leptos_axum::redirect(&order_page(&id, key.as_deref()));
        Ok(())
    })
    .await
}

/// The demo gateway's Pay button: the same fulfilment the Stripe webhook runs.
#[server]
pub async fn pay_demo_order(id: String, key: Option<String>) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::orders;
        demo_only(&state)?;
        let access = as_buyer(&state, key.clone()).await?;
        orders::pay_demo_order(&state, &access, &id).await?;
        leptos_axum::redirect(&order_page(&id, key.as_deref()));
        Ok(())
    })
    .await
}

/// The buyer passes a ticket to someone else (name and email); they get it with a new
/// code, and the old one stops working.
#[server]
pub async fn transfer_ticket(
    id: String,
    key: Option<String>,
    reference: String,
    issue: i64,
    name: String,
    email: String,
) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::orders;
        let access = as_buyer(&state, key).await?;
        let request = orders::TransferRequest {
            reference: &reference,
            seen_issue: issue,
            name: &name,
            email: &email,
        };
        orders::transfer_ticket(&state, &access, &id, &request, chrono::Utc::now()).await
    })
    .await
}

/// The buyer corrects a ticket's holder name and its answers (until the event starts).
#[server]
pub async fn correct_ticket(
    id: String,
    key: Option<String>,
    reference: String,
    name: String,
    answers: Option<std::collections::BTreeMap<String, String>>,
) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::orders;
        let access = as_buyer(&state, key).await?;
        let answers = answers.unwrap_or_default();
        orders::correct_ticket(
            &state,
            &access,
            &id,
            &reference,
            &name,
            &answers,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// The buyer corrects the answers given once for the order (until the event starts).
#[server]
pub async fn correct_order_answers(
    id: String,
    key: Option<String>,
    answers: Option<std::collections::BTreeMap<String, String>>,
) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::orders;
        let access = as_buyer(&state, key).await?;
        let answers = answers.unwrap_or_default();
        orders::correct_order_answers(&state, &access, &id, &answers, chrono::Utc::now()).await
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

/// A named attendee's own ticket, by the key of the link in their ticket email.
#[server]
pub async fn get_held_ticket(reference: String, key: String) -> Result<HeldTicket, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::orders;
        orders::held_ticket(&state, &reference, &key).await
    })
    .await
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
