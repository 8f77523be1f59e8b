//! A ticket passed on: its holder gives it to someone else, who gets it by email with a
//! new code; the old code stops working at once, at every door.
use super::views::event_of;
use super::{buyers_order, ticket_code, OrderAccess};
use crate::domain::{parse_display_name, Email, OrderStatus, TicketStatus};
use crate::error::AppError;
use crate::server::db::orders::{OrderRepo, Transfer, TRANSFER_RACED};
use crate::server::db::DbError;
use crate::server::state::AppState;
use chrono::{DateTime, Utc};

/// What the holder asks: ticket `reference` as their page showed it (`seen_issue`), to
/// `name` at `email`.
pub struct TransferRequest<'a> {
    pub reference: &'a str,
    pub seen_issue: i64,
    pub name: &'a str,
    pub email: &'a str,
}

/// The buyer (signed in, or by the order's link) transfers a ticket of the order. Of two
/// requests made from the same page, the second finds the ticket moved and changes nothing.
pub async fn transfer_ticket(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
    request: &TransferRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let TransferRequest {
        reference,
        seen_issue,
        name,
        email,
    } = *request;
    let order = buyers_order(&state.db, access, order_id).await?;
    if order.status != OrderStatus::Paid {
        return Err(AppError::Validation(
            "Only the tickets of a paid order can be transferred.".into(),
        ));
    }
    let event = event_of(state, &order.event).await?;
    if !event.transfers_allowed {
        return Err(AppError::Validation(
            "The organizer does not allow ticket transfers for this event.".into(),
        ));
    }
    if event.starts_at <= now {
        return Err(AppError::Validation(
            "Transfers closed when the event started.".into(),
        ));
    }
    let to_name = parse_display_name(name).map_err(|m| AppError::field("name", m))?;
    let to_email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
    let ticket = OrderRepo(&state.db)
        .tickets_of_order(order_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .find(|t| t.reference == reference.trim())
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    match ticket.status {
        TicketStatus::Valid => {}
        TicketStatus::CheckedIn => {
            return Err(AppError::Validation(
                "This ticket was already used at the door.".into(),
            ))
        }
        TicketStatus::Void => {
            return Err(AppError::Validation(
                "This ticket is no longer valid.".into(),
            ))
        }
    }
    let moved = OrderRepo(&state.db)
        .transfer_ticket(
            Transfer {
                order_id,
                reference: &ticket.reference,
                seen_issue,
                old_code: &ticket.code,
                new_code: &ticket_code(),
                from_name: &ticket.holder_name,
                to_name: &to_name,
                to_email: to_email.as_str(),
                actor: &access.actor(),
            },
            now,
        )
        .await;
    match moved {
        Ok(()) => {
            tracing::info!(order = order_id, ticket = %ticket.reference, "ticket transferred");
            Ok(())
        }
        Err(DbError::Rejected(code)) if code == TRANSFER_RACED => Err(AppError::Validation(
            "This ticket was just transferred or used; reload the page to see it as it is now."
                .into(),
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}
