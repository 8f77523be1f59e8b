//! Undoing a purchase: a pending order gives its seats back (buyer, organizer, a failed
//! payment or provider), a paid one is refunded (organizer, or the whole event cancelled).
use super::{actor_of, buyers_order, load, managed, OrderError};
use crate::domain::OrderStatus;
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::CurrentUser;
use crate::server::db::orders::{OrderRecord, OrderRepo};
use crate::server::payments::refund_key;
use crate::server::state::AppState;

/// Why a pending order gives its seats back.
#[derive(Debug, Clone, Copy)]
pub enum Release {
    Expired,
    BuyerCancelled,
    OrganizerCancelled,
    PaymentFailed,
    ProviderFailed,
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
    };
    let released = OrderRepo(&state.db)
        .release(order_id, to, actor, note)
        .await?;
    if released {
        state.event_cache.clear();
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
) -> Result<bool, AppError> {
    if let Some(session) = &order.checkout_session_id {
        if let Err(e) = state.payments.expire_session(session).await {
            tracing::warn!(order = %order.id, error = %e, "could not expire the session");
        }
    }
    release(state, &order.id, why, actor)
        .await
        .map_err(AppError::internal)
}

/// The buyer gives up on paying (Stripe's cancel link, the demo page's Cancel): the seats
/// go back on sale. Nothing to do when the order is no longer pending.
pub async fn cancel_payment(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
) -> Result<(), AppError> {
    let order = buyers_order(&state.db, user, order_id).await?;
    if order.status == OrderStatus::Pending {
        cancel_pending(state, &order, Release::BuyerCancelled, &actor_of(user)).await?;
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
    if !cancel_pending(state, &order, Release::OrganizerCancelled, &actor_of(user)).await? {
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
    refund_paid(state, &order, &actor_of(user))
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
            OrderStatus::Paid,
            actor,
            "refunded by the organizer",
        )
        .await?;
    state.event_cache.clear();
    tracing::info!(order = %order.id, actor, "order refunded");
    Ok(())
}

/// A cancelled event refunds every paid order; failures are logged and left for a retry.
pub async fn refund_event(
    state: &AppState,
    event_id: &str,
    actor: &str,
) -> Result<usize, AppError> {
    let orders = OrderRepo(&state.db)
        .paid_of_event(event_id)
        .await
        .map_err(AppError::internal)?;
    let mut refunded = 0;
    for order_id in orders {
        let outcome = match load(&state.db, &order_id).await {
            Ok(order) => refund_paid(state, &order, actor).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => refunded += 1,
            Err(e) => {
                tracing::error!(order = %order_id, error = %e, "refund after cancellation failed")
            }
        }
    }
    Ok(refunded)
}
