//! Stage 4: holds that lapsed go back on sale. Before expiring an order with a Checkout
//! Session, Stripe is asked about it: a session paid at the last moment is fulfilled.
use super::payment::payment_succeeded;
use super::refunds::{release, Release};
use super::OrderError;
use crate::server::db::orders::OrderRepo;
use crate::server::state::AppState;
use chrono::{DateTime, Utc};

/// Expires lapsed holds (at most 200 a round); returns how many it expired.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> Result<usize, OrderError> {
    let lapsed = OrderRepo(&state.db).lapsed(now, 200).await?;
    let mut expired = 0;
    for order in lapsed {
        if let Some(session) = &order.checkout_session_id {
            match state.payments.session(session).await {
                Ok(s) if s.paid => {
                    payment_succeeded(state, &order.id, s.payment_ref, "sweeper").await?;
                    continue;
                }
                Ok(_) => {
                    if let Err(e) = state.payments.expire_session(session).await {
                        tracing::warn!(order = %order.id, error = %e, "could not expire the session");
                    }
                }
                // The provider is unreachable: keep the hold and try again next round.
                Err(e) => {
                    tracing::warn!(order = %order.id, error = %e, "session state unknown");
                    continue;
                }
            }
        }
        if release(state, &order.id, Release::Expired, "sweeper").await? {
            expired += 1;
        }
    }
    Ok(expired)
}
