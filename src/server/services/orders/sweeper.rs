//! Stage 4: holds that lapsed go back on sale. Before expiring an order with a Checkout
//! Session, Stripe is asked about it: a session paid at the last moment (its webhook lost
//! or late) is fulfilled instead. `reconcile` asks the same of every pending order.
use super::payment::payment_succeeded;
use super::refunds::{release, Release};
use super::OrderError;
use crate::server::db::orders::{OrderRepo, PendingOrder};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};

/// What became of a pending order when its payment was looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Paid at the provider: fulfilled now.
    Fulfilled,
    /// Unpaid and its hold lapsed: seats back on sale.
    Expired,
    /// Unpaid, its hold still running (or already settled by someone else).
    Waiting,
    /// The provider could not be asked; nothing changed.
    Unknown(String),
}

/// Expires lapsed holds (at most 200 a round); returns how many it expired.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> Result<usize, OrderError> {
    let lapsed = OrderRepo(&state.db).lapsed(now, 200).await?;
    let mut expired = 0;
    for order in lapsed {
        if settle(state, &order, true, "sweeper").await? == Settled::Expired {
            expired += 1;
        }
    }
    Ok(expired)
}

/// Asks the provider about every pending order (`tickex payments reconcile`): a paid
/// session is fulfilled, a lapsed unpaid one expired. Returns each order with its fate.
pub async fn reconcile(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Settled)>, OrderError> {
    let pending = OrderRepo(&state.db).pending(10_000).await?;
    let mut settled = Vec::with_capacity(pending.len());
    for order in pending {
        let lapsed = order.hold_expires_at < now;
        // One order that cannot be settled does not stop the others being checked.
        let fate = match settle(state, &order, lapsed, "reconcile").await {
            Ok(fate) => fate,
            Err(e) => Settled::Unknown(crate::error::AppError::internal(e).to_string()),
        };
        settled.push((order.id, fate));
    }
    Ok(settled)
}

async fn settle(
    state: &AppState,
    order: &PendingOrder,
    lapsed: bool,
    actor: &str,
) -> Result<Settled, OrderError> {
    if let Some(session) = &order.checkout_session_id {
        match state.payments.session(session).await {
            Ok(s) if s.paid => {
                payment_succeeded(state, &order.id, s.payment_ref, actor).await?;
                return Ok(Settled::Fulfilled);
            }
            Ok(_) if !lapsed => return Ok(Settled::Waiting),
            Ok(_) => {
                if let Err(e) = state.payments.expire_session(session).await {
                    tracing::warn!(order = %order.id, error = %e, "could not expire the session");
                }
            }
            // The provider is unreachable: keep the hold and try again next round.
            Err(e) => {
                tracing::warn!(order = %order.id, error = %e, "session state unknown");
                return Ok(Settled::Unknown(e.to_string()));
            }
        }
    }
    if lapsed && release(state, &order.id, Release::Expired, actor).await? {
        Ok(Settled::Expired)
    } else {
        Ok(Settled::Waiting)
    }
}
