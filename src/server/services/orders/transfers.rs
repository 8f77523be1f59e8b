//! A ticket passed on: its holder (the buyer, or the named attendee by their own link) gives
//! it to someone else, who gets it by email with a new code; the old code stops working at
//! once, at every door.
use super::views::{event_of, ticket_group, ticket_views};
use super::{order_if, ticket_code, OrderAccess};
use crate::domain::{parse_display_name, Email, HeldTicket, OrderStatus, TicketStatus};
use crate::error::AppError;
use crate::server::auth::session::{new_token, session_key};
use crate::server::db::events::EventRecord;
use crate::server::db::orders::{OrderRecord, OrderRepo, TicketRecord, Transfer, TRANSFER_RACED};
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

/// A named attendee's own ticket, by the key of the link in their ticket email.
pub async fn held_ticket(
    state: &AppState,
    reference: &str,
    key: &str,
) -> Result<HeldTicket, AppError> {
    let access = OrderAccess {
        user: None,
        key: Some(key.to_owned()),
    };
    let ticket = OrderRepo(&state.db)
        .ticket_by_reference(reference.trim())
        .await
        .map_err(AppError::internal)?
        .filter(|t| access.holds(t))
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    let order = order_if(&state.db, &ticket.purchase, |_| true).await?;
    let event = event_of(state, &ticket.event).await?;
    Ok(HeldTicket {
        order_id: order.id.clone(),
        transfer_closed: transfer_refusal(&order, &event, &ticket, Utc::now()).map(str::to_owned),
        event: ticket_group(event, ticket_views(state, [&ticket]).await?),
    })
}

/// Why a ticket cannot change hands now, in the words the holder sees; `None` when it can.
pub(super) fn transfer_refusal(
    order: &OrderRecord,
    event: &EventRecord,
    ticket: &TicketRecord,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if order.status != OrderStatus::Paid {
        return Some("Only the tickets of a paid order can be transferred.");
    }
    if !event.transfers_allowed {
        return Some("The organizer does not allow ticket transfers for this event.");
    }
    if event.starts_at <= now {
        return Some("Transfers closed when the event started.");
    }
    match ticket.status {
        TicketStatus::Valid => None,
        TicketStatus::CheckedIn => Some("This ticket was already used at the door."),
        TicketStatus::Void => Some("This ticket is no longer valid."),
    }
}

/// The ticket's holder transfers it: the buyer (signed in, or by the order's link), or the
/// named attendee by the link in their own ticket email. Of two requests made from the
/// same page, the second finds the ticket moved and changes nothing.
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
    if access.user.is_none() && access.key.is_none() {
        return Err(AppError::Unauthenticated);
    }
    let order = order_if(&state.db, order_id, |_| true).await?;
    let ticket = OrderRepo(&state.db)
        .tickets_of_order(order_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .find(|t| t.reference == reference.trim());
    let (ticket, actor) = match ticket {
        Some(t) if access.opens(&order) => (t, access.actor()),
        Some(t) if access.holds(&t) => (t, "holder:link".to_owned()),
        // Neither the order's nor the ticket's: as if there were none.
        _ if access.opens(&order) => return Err(AppError::NotFound("ticket".into())),
        _ => return Err(AppError::NotFound("order".into())),
    };
    let event = event_of(state, &order.event).await?;
    if let Some(why) = transfer_refusal(&order, &event, &ticket, now) {
        return Err(AppError::Validation(why.into()));
    }
    let to_name = parse_display_name(name).map_err(|m| AppError::field("name", m))?;
    let to_email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
    let holder_key = new_token();
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
                holder_hash: session_key(&holder_key),
                holder_key: &holder_key,
                actor: &actor,
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
