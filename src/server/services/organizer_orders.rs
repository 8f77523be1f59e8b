//! An event's orders and attendees as its organizer manages them: search, detail with the
//! status log, and cancelling a pending order. Refunds live with the order services.
use super::catalog::{format_when, may_manage, money};
use super::orders::{line_views, release, ticket_status, Release};
use crate::domain::{
    AttendeeRow, ManagedOrder, OrderLogEntry, OrderSearch, OrderStatus, OrganizerOrderRow,
    ORGANIZER_LIST_LIMIT,
};
use crate::error::AppError;
use crate::server::auth::session::CurrentUser;
use crate::server::db::orders::{AttendeeRecord, OrderRepo};
use crate::server::db::EventRepo;
use crate::server::state::AppState;

/// The event, when `user` may manage it; its time zone formats the rows.
async fn managed_event(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
) -> Result<crate::server::db::events::EventRecord, AppError> {
    let (event, _) = EventRepo(&state.db)
        .find_by_id(event_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    if !may_manage(user, &event.organizer) {
        return Err(AppError::NotFound("event".into()));
    }
    Ok(event)
}

fn order_status(value: &str) -> Result<OrderStatus, AppError> {
    OrderStatus::parse(value)
        .ok_or_else(|| AppError::internal(format!("unknown order status {value}")))
}

fn attendee_row(r: AttendeeRecord) -> AttendeeRow {
    AttendeeRow {
        status: ticket_status(&r.status),
        reference: r.reference,
        holder_name: r.holder_name,
        buyer_email: r.buyer_email,
        type_name: r.type_name,
        order_id: r.order_id,
        order_reference: r.order_reference,
    }
}

/// An event's orders matching `search`, newest first, at most [`ORGANIZER_LIST_LIMIT`].
pub async fn event_orders(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    search: &OrderSearch,
) -> Result<Vec<OrganizerOrderRow>, AppError> {
    let event = managed_event(state, user, event_id).await?;
    let records = OrderRepo(&state.db)
        .search_event(event_id, search, ORGANIZER_LIST_LIMIT)
        .await
        .map_err(AppError::internal)?;
    records
        .into_iter()
        .map(|o| {
            Ok(OrganizerOrderRow {
                status: order_status(&o.status)?,
                total: money(o.total_minor, &o.currency)?,
                created: format_when(o.created_at, &event.time_zone),
                tickets: o.tickets.max(0) as u32,
                id: o.id,
                reference: o.reference,
                buyer_name: o.buyer_name,
                buyer_email: o.buyer_email,
                late_payment_refunded: o.late_payment_refunded,
                email_status: o.email_status,
            })
        })
        .collect()
}

/// An event's tickets matching `search` (its status filter does not apply to tickets).
pub async fn event_attendees(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    search: &OrderSearch,
) -> Result<Vec<AttendeeRow>, AppError> {
    managed_event(state, user, event_id).await?;
    let records = OrderRepo(&state.db)
        .search_attendees(event_id, search, ORGANIZER_LIST_LIMIT)
        .await
        .map_err(AppError::internal)?;
    Ok(records.into_iter().map(attendee_row).collect())
}

/// One order with its tickets and status log, for its event's organizer or an admin.
pub async fn managed_order(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
) -> Result<ManagedOrder, AppError> {
    let repo = OrderRepo(&state.db);
    let order = repo
        .find(order_id)
        .await
        .map_err(AppError::internal)?
        .filter(|o| may_manage(user, &o.event_organizer))
        .ok_or_else(|| AppError::NotFound("order".into()))?;
    let event = managed_event(state, user, &order.event).await?;
    let tickets = repo
        .tickets_of_order(order_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|t| AttendeeRow {
            status: ticket_status(&t.status),
            reference: t.reference,
            holder_name: t.holder_name,
            buyer_email: order.buyer_email.clone(),
            type_name: t.type_name,
            order_id: order.id.clone(),
            order_reference: order.reference.clone(),
        })
        .collect();
    let log = repo
        .log_of(order_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|l| OrderLogEntry {
            at: format_when(l.at, &event.time_zone),
            from: l.from_status,
            to: l.to_status,
            actor: l.actor,
            note: l.note,
        })
        .collect();
    let email_status = crate::server::email::outbox::order_email_status(state, order_id)
        .await
        .map_err(AppError::internal)?;
    Ok(ManagedOrder {
        lines: line_views(&order)?,
        total: money(order.total_minor, &order.currency)?,
        status: order_status(&order.status)?,
        created: format_when(order.created_at, &event.time_zone),
        id: order.id,
        reference: order.reference,
        event_id: order.event,
        event_title: event.title,
        buyer_name: order.buyer_name,
        buyer_email: order.buyer_email,
        email_status,
        late_payment_refunded: order.late_payment_refunded,
        tickets,
        log,
    })
}

/// The organizer cancels an order that is still waiting for payment: its seats go back on
/// sale and its Stripe session is expired, so a late payment is refunded, never lost.
pub async fn cancel_pending_order(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
) -> Result<(), AppError> {
    let order = OrderRepo(&state.db)
        .find(order_id)
        .await
        .map_err(AppError::internal)?
        .filter(|o| may_manage(user, &o.event_organizer))
        .ok_or_else(|| AppError::NotFound("order".into()))?;
    if order.status != OrderStatus::Pending.as_str() {
        return Err(AppError::Validation(
            "Only an order waiting for payment can be cancelled; refund a paid one.".into(),
        ));
    }
    if let Some(session) = &order.checkout_session_id {
        if let Err(e) = state.payments.expire_session(session).await {
            tracing::warn!(order = order_id, error = %e, "could not expire the session");
        }
    }
    let released = release(
        state,
        order_id,
        Release::OrganizerCancelled,
        &format!("user:{}", user.id),
    )
    .await
    .map_err(AppError::internal)?;
    if !released {
        return Err(AppError::Validation(
            "The order changed meanwhile; reload to see its status.".into(),
        ));
    }
    Ok(())
}
