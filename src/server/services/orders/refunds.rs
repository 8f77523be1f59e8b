//! Undoing a purchase: a pending order gives its seats back (buyer, organizer, a failed
//! payment or provider), a paid one is refunded (organizer, or the whole event cancelled),
//! and the refunds job sends every refund still owed until the provider accepts it.
use super::{buyers_order, load, managed, OrderAccess, OrderError};
use crate::domain::OrderStatus;
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::CurrentUser;
use crate::server::db::orders::{OrderRecord, OrderRepo, Refund, RefundNotice};
use crate::server::payments::{refund_key, PaymentError};
use crate::server::state::AppState;
use crate::server::throttle::retry_backoff;
use chrono::{DateTime, Utc};

/// Why a pending order gives its seats back.
#[derive(Debug, Clone, Copy)]
pub enum Release {
    Expired,
    BuyerCancelled,
    OrganizerCancelled,
    PaymentFailed,
    ProviderFailed,
    EventCancelled,
}

/// Releases a pending order's seats; false when it was not pending any more.
pub async fn release(
    state: &AppState,
    order_id: &str,
    why: Release,
    actor: &str,
) -> Result<bool, OrderError> {
    let (to, note) = match why {
        Release::Expired => (OrderStatus::Expired, "the hold expired"),
        Release::BuyerCancelled => (OrderStatus::Cancelled, "the buyer cancelled the payment"),
        Release::OrganizerCancelled => (OrderStatus::Cancelled, "cancelled by the organizer"),
        Release::PaymentFailed => (OrderStatus::Cancelled, "the payment failed"),
        Release::ProviderFailed => (OrderStatus::Cancelled, "the payment provider failed"),
        Release::EventCancelled => (OrderStatus::Cancelled, "the event was cancelled"),
    };
    let released = OrderRepo(&state.db)
        .release(order_id, to, actor, note)
        .await?;
    if released {
        seats_came_back(state).await;
        tracing::info!(
            order = order_id,
            to = to.as_str(),
            actor,
            note,
            "hold released"
        );
    }
    Ok(released)
}

/// Expires the order's Checkout Session (so Stripe takes no payment for it any more),
/// then returns its seats.
async fn cancel_pending(
    state: &AppState,
    order: &OrderRecord,
    why: Release,
    actor: &str,
) -> Result<bool, OrderError> {
    if let Some(session) = &order.checkout_session_id {
        if let Err(e) = state.payments.expire_session(session).await {
            tracing::warn!(order = %order.id, error = %e, "could not expire the session");
        }
    }
    release(state, &order.id, why, actor).await
}

/// The buyer gives up on paying (Stripe's cancel link, the demo page's Cancel): the seats
/// go back on sale. Nothing to do when the order is no longer pending.
pub async fn cancel_payment(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
) -> Result<(), AppError> {
    let order = buyers_order(&state.db, access, order_id).await?;
    if order.status == OrderStatus::Pending {
        cancel_pending(state, &order, Release::BuyerCancelled, &access.actor())
            .await
            .map_err(AppError::internal)?;
    }
    Ok(())
}

/// The organizer cancels an order that is still waiting for payment: its seats go back on
/// sale and its Stripe session is expired, so a late payment is refunded, never lost.
pub async fn cancel_pending_order(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
) -> Result<(), AppError> {
    let order = managed(&state.db, user, order_id).await?;
    if order.status != OrderStatus::Pending {
        return Err(AppError::Validation(
            "Only an order waiting for payment can be cancelled; refund a paid one.".into(),
        ));
    }
    let cancelled = cancel_pending(state, &order, Release::OrganizerCancelled, &user.actor())
        .await
        .map_err(AppError::internal)?;
    if !cancelled {
        return Err(AppError::Validation(
            "The order changed meanwhile; reload to see its status.".into(),
        ));
    }
    Ok(())
}

/// An organizer (or admin) cancels and refunds a paid order.
pub async fn refund_order(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
) -> Result<(), AppError> {
    let order = load(&state.db, order_id)
        .await
        .map_err(OrderError::into_app_error)?;
    if !may_manage(user, &order.event_organizer) {
        return Err(AppError::Forbidden);
    }
    if order.status != OrderStatus::Paid {
        return Err(AppError::Validation(
            "Only a paid order can be refunded.".into(),
        ));
    }
    refund_paid(state, &order, &user.actor())
        .await
        .map_err(OrderError::into_app_error)
}

/// Money back first (idempotent at the provider), then tickets void and seats returned.
async fn refund_paid(state: &AppState, order: &OrderRecord, actor: &str) -> Result<(), OrderError> {
    if let Some(payment) = &order.payment_ref {
        let attempt = OrderRepo(&state.db).next_refund_attempt(&order.id).await?;
        state
            .payments
            .refund(payment, &refund_key(&order.id, attempt))
            .await?;
    }
    OrderRepo(&state.db)
        .mark_refunded(
            &order.id,
            Refund::money_returned(actor, "refunded by the organizer"),
        )
        .await?;
    seats_came_back(state).await;
    tracing::info!(order = %order.id, actor, "order refunded");
    Ok(())
}

/// Seats went back on sale: the event page forgets what it showed, and the people waiting
/// for them get their offers (or at the sweeper's next round, should this fail).
async fn seats_came_back(state: &AppState) {
    state.event_cache.clear();
    let _logged = crate::server::services::waitlist::offer_seats(state, chrono::Utc::now()).await;
}

/// What cancelling an event did to its orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventOrdersSettled {
    /// Paid orders refunded (their buyers emailed).
    pub refunded: u32,
    /// Of those, refunds the provider refused or failed: retried until it accepts them.
    pub refunds_failed: u32,
    /// Of those, refunds not tried within the request's time: the refunds job sends them.
    pub refunds_waiting: u32,
    /// Orders waiting for payment, cancelled with their Checkout Sessions.
    pub holds_cancelled: u32,
}

/// How long a cancellation sends refunds itself before it leaves the rest to the refunds
/// job (a large event has thousands; the organizer should not wait for each).
const REFUNDS_INLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// A cancelled event: its pending orders are cancelled (their sessions expired) and its
/// paid orders refunded, the money owed durably until the provider accepts each refund.
pub async fn settle_cancelled_event(
    state: &AppState,
    event_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<EventOrdersSettled, OrderError> {
    let repo = OrderRepo(&state.db);
    let mut settled = EventOrdersSettled::default();
    for order_id in repo.of_event(event_id, OrderStatus::Pending).await? {
        let order = load(&state.db, &order_id).await?;
        if cancel_pending(state, &order, Release::EventCancelled, actor).await? {
            settled.holds_cancelled += 1;
        }
    }
    let mut owed = Vec::new();
    for order_id in repo.of_event(event_id, OrderStatus::Paid).await? {
        let order = load(&state.db, &order_id).await?;
        if refund_for_cancelled_event(state, &order, actor).await? {
            settled.refunded += 1;
            owed.push(order_id);
        }
    }
    state.event_cache.clear();
    let started = std::time::Instant::now();
    for order_id in owed {
        if started.elapsed() > REFUNDS_INLINE {
            settled.refunds_waiting += 1;
            continue;
        }
        // Its first attempt: due at once, whatever the clocks say.
        let sent = send_owed_refund(state, &order_id, now, true).await?;
        if matches!(sent, RefundSent::Failed(_)) {
            settled.refunds_failed += 1;
        }
    }
    Ok(settled)
}

/// Marks a paid order of a cancelled event refunded, its money owed; false when it was not
/// paid any more.
async fn refund_for_cancelled_event(
    state: &AppState,
    order: &OrderRecord,
    actor: &str,
) -> Result<bool, OrderError> {
    Ok(OrderRepo(&state.db)
        .mark_refunded(
            &order.id,
            Refund {
                from: OrderStatus::Paid,
                owed: order.payment_ref.as_deref(),
                notice: RefundNotice::EventCancelled,
                actor,
                note: "the event was cancelled",
            },
        )
        .await?)
}

/// How long a sender holds an owed refund before another may take it over.
const REFUND_HOLD_SECS: i64 = 120;

/// How one attempt at an owed refund ended.
#[derive(Debug)]
pub(super) enum RefundSent {
    Sent,
    /// The provider refused or failed: due again after a backoff.
    Failed(PaymentError),
    /// Nothing owed, not due yet, or another sender has it.
    NotNow,
}

/// Sends an owed refund once, however many senders race: each takes it first in the
/// database (for a while), under a new idempotency key per attempt, because Stripe replays
/// a failed answer to a key it has seen. `now_anyway` ignores the backoff (a redelivered
/// payment event asks again).
pub(super) async fn send_owed_refund(
    state: &AppState,
    order_id: &str,
    now: DateTime<Utc>,
    now_anyway: bool,
) -> Result<RefundSent, OrderError> {
    let repo = OrderRepo(&state.db);
    let hold_until = now + chrono::Duration::seconds(REFUND_HOLD_SECS);
    let Some(owed) = repo
        .take_owed_refund(order_id, now, hold_until, now_anyway)
        .await?
    else {
        return Ok(RefundSent::NotNow);
    };
    let key = refund_key(order_id, owed.refund_attempts);
    match state.payments.refund(&owed.payment_ref, &key).await {
        Ok(()) => {
            repo.owed_refund_sent(order_id, "refunds").await?;
            tracing::info!(order = order_id, "owed refund accepted by the provider");
            Ok(RefundSent::Sent)
        }
        Err(e) => {
            let next = now + retry_backoff(owed.refund_attempts);
            repo.owed_refund_failed(order_id, next, &e.to_string())
                .await?;
            tracing::warn!(order = order_id, attempts = owed.refund_attempts, error = %e, %next, "owed refund failed; retried later");
            Ok(RefundSent::Failed(e))
        }
    }
}

/// One round of the refunds job: orders of cancelled events that still hold seats or
/// money are settled (a payment that raced the cancellation, a cancellation cut short),
/// then every owed refund that is due is sent. Returns how many refunds went out.
pub async fn retry_refunds(state: &AppState, now: DateTime<Utc>) -> Result<usize, OrderError> {
    let repo = OrderRepo(&state.db);
    // One order that cannot be settled is logged and skipped: it must not hold up the rest.
    for unsettled in repo.unsettled_of_cancelled_events(100).await? {
        let settled = match load(&state.db, &unsettled.id).await {
            Ok(order) if unsettled.status == OrderStatus::Pending => {
                cancel_pending(state, &order, Release::EventCancelled, "refunds")
                    .await
                    .map(|_| ())
            }
            Ok(order) => refund_for_cancelled_event(state, &order, "refunds")
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = settled {
            tracing::error!(order = %unsettled.id, error = %e, "an order of a cancelled event could not be settled");
        }
        state.event_cache.clear();
    }
    let mut sent = 0;
    for order_id in repo.owed_refunds_due(now, 50).await? {
        match send_owed_refund(state, &order_id, now, false).await {
            Ok(RefundSent::Sent) => sent += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(order = %order_id, error = %e, "an owed refund could not be sent")
            }
        }
    }
    Ok(sent)
}
