use crate::domain::{
    AttendeeRow, CheckoutLine, ManagedOrder, OrderView, OrganizerOrderRow, TicketGroup,
};
use crate::error::AppError;
use leptos::prelude::*;

/// Holds the chosen tickets and returns where to pay (the browser is sent there). An
/// anonymous buyer is sent to sign in and brought back to the same selection.
#[server]
pub async fn checkout(event_id: String, lines: Vec<CheckoutLine>) -> Result<String, AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{
                auth::guard, db::EventRepo, services::orders, state::use_app_state,
            };
            let state = use_app_state()?;
            let Some(buyer) = guard::current_user(&state).await? else {
                let slug = EventRepo(&state.db)
                    .find_by_id(&event_id)
                    .await
                    .map_err(AppError::internal)?
                    .map(|(event, _)| event.slug)
                    .ok_or_else(|| AppError::NotFound("event".into()))?;
                let selection: Vec<String> = lines
                    .iter()
                    .filter(|l| l.quantity > 0)
                    .map(|l| format!("{}:{}", l.ticket_type_id, l.quantity))
                    .collect();
                let back = format!("/events/{slug}?tickets={}", selection.join(","));
                // Not an error: the buyer is on their way, through the sign-in page.
                let login = format!("/login?next={}", crate::domain::urlencode(&back));
                leptos_axum::redirect(&login);
                return Ok(login);
            };
            let url =
                orders::checkout(&state, &buyer, &event_id, &lines, chrono::Utc::now()).await?;
            leptos_axum::redirect(&url);
            Ok(url)
        }
        .await,
    )
}

/// The buyer's order; `session_id` (back from Stripe) or `cancelled` (its cancel link)
/// settle a pending order at once.
#[server]
pub async fn get_order(
    id: String,
    session_id: Option<String>,
    cancelled: bool,
) -> Result<OrderView, AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_user(&state).await?;
            orders::order_view(&state, &user, &id, session_id.as_deref(), cancelled).await
        }
        .await,
    )
}

/// The demo gateway's Pay button: the same fulfilment the Stripe webhook runs.
#[server]
pub async fn pay_demo_order(id: String) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_user(&state).await?;
            demo_only(&state)?;
            let order = orders::order_view(&state, &user, &id, None, false).await?;
            if order.status != crate::domain::OrderStatus::Pending {
                return Err(AppError::Validation(
                    "This order is no longer waiting for payment.".into(),
                ));
            }
            orders::payment_succeeded(
                &state,
                &id,
                Some(format!("demo_{id}")),
                &format!("user:{}", user.id),
            )
            .await
            .map_err(AppError::internal)?;
            leptos_axum::redirect(&format!("/orders/{id}"));
            Ok(())
        }
        .await,
    )
}

/// The demo gateway's Cancel button: the same release an expired Stripe session runs.
#[server]
pub async fn cancel_demo_order(id: String) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_user(&state).await?;
            demo_only(&state)?;
            orders::order_view(&state, &user, &id, None, true).await?;
            leptos_axum::redirect(&format!("/orders/{id}"));
            Ok(())
        }
        .await,
    )
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
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_user(&state).await?;
            orders::my_tickets(&state, &user).await
        }
        .await,
    )
}

/// An event's orders for its organizer: `query` matches references, names and emails;
/// `status` is empty for any status.
#[server]
pub async fn list_event_orders(
    event_id: String,
    query: String,
    status: String,
) -> Result<Vec<OrganizerOrderRow>, AppError> {
    crate::api::with_status(
        async move {
            use crate::domain::OrderSearch;
            use crate::server::{auth::guard, services::organizer_orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_organizer(&state).await?;
            let search = OrderSearch::parse(&query, &status).map_err(AppError::Validation)?;
            organizer_orders::event_orders(&state, &user, &event_id, &search).await
        }
        .await,
    )
}

/// An event's tickets and who holds them, for its organizer.
#[server]
pub async fn list_event_attendees(
    event_id: String,
    query: String,
) -> Result<Vec<AttendeeRow>, AppError> {
    crate::api::with_status(
        async move {
            use crate::domain::OrderSearch;
            use crate::server::{auth::guard, services::organizer_orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_organizer(&state).await?;
            let search = OrderSearch::parse(&query, "").map_err(AppError::Validation)?;
            organizer_orders::event_attendees(&state, &user, &event_id, &search).await
        }
        .await,
    )
}

/// One order with its tickets and status log, for its event's organizer.
#[server]
pub async fn get_managed_order(id: String) -> Result<ManagedOrder, AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::organizer_orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_organizer(&state).await?;
            organizer_orders::managed_order(&state, &user, &id).await
        }
        .await,
    )
}

/// An organizer cancels an order still waiting for payment; its seats go back on sale.
#[server]
pub async fn cancel_order(id: String) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::organizer_orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_organizer(&state).await?;
            organizer_orders::cancel_pending_order(&state, &user, &id).await
        }
        .await,
    )
}

/// An organizer cancels and refunds a paid order.
#[server]
pub async fn refund_order(id: String) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_organizer(&state).await?;
            orders::refund_order(&state, &user, &id).await
        }
        .await,
    )
}

/// Sends the tickets of a paid order by email again (buyer or organizer; rate limited).
#[server]
pub async fn resend_tickets(id: String) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::orders, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_user(&state).await?;
            orders::resend_tickets(&state, &user, &id, chrono::Utc::now()).await
        }
        .await,
    )
}

/// The dev mailbox: what TickEx would have emailed. Only when no email provider is set.
#[server]
pub async fn list_dev_mailbox() -> Result<Vec<crate::domain::DevEmail>, AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{email::outbox, state::use_app_state};
            let state = use_app_state()?;
            if state.mailer.delivers() {
                return Err(AppError::NotFound("page".into()));
            }
            outbox::dev_mailbox(&state).await
        }
        .await,
    )
}
