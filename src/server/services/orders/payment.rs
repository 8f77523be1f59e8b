//! Stage 2: a payment was reported (webhook, the return from Stripe, the demo gateway or
//! a free order). Fulfil once, whoever reports first; a payment that cannot be fulfilled
//! (its seats sold to someone else after its hold lapsed, its order or event cancelled) is
//! refunded exactly once.
use super::refunds::{release, send_owed_refund, RefundSent, Release};
use super::{buyers_order, load, short_reference, ticket_code, OrderAccess, OrderError};
use crate::domain::OrderStatus;
use crate::error::AppError;
use crate::server::auth::session::{new_token, session_key};
use crate::server::db::orders::{
    Fulfilment, NewTicket, OrderRecord, OrderRepo, Refund, RefundNotice, EVENT_CANCELLED, SOLD_OUT,
    WRONG_STATUS,
};
use crate::server::db::DbError;
use crate::server::state::AppState;
use chrono::Utc;
use surrealdb::types::RecordIdKey;

/// What happened when a payment was reported.
#[derive(Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    Fulfilled,
    AlreadyPaid,
    /// Paid after the hold lapsed with no stock left: refunded.
    RefundedLate,
    /// Already refunded or otherwise final: nothing to do.
    Ignored,
}

/// The order's tickets, in line order, each with the holder named at checkout (the buyer
/// where none was named). A holder with an email of their own gets their ticket, and a
/// link to it, apart from the buyer.
fn tickets_for(order: &OrderRecord) -> Vec<NewTicket> {
    order
        .lines
        .iter()
        .flat_map(|line| (0..line.quantity).map(|_| line.ticket_type.clone()))
        .enumerate()
        .map(|(position, ticket_type)| {
            let named = order.attendees.get(position);
            let holder_key = named
                .and_then(|a| a.email.as_ref())
                .filter(|email| **email != order.buyer_email)
                .map(|_| new_token());
            NewTicket {
                holder_hash: holder_key.as_deref().map(session_key),
                holder_key,
                ticket_type,
                code: ticket_code(),
                reference: short_reference("T"),
                holder_name: named.map_or_else(|| order.buyer_name.clone(), |a| a.name.clone()),
                holder_email: named.and_then(|a| a.email.clone()),
                answers: named.map(|a| a.answers.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// The payment for an order succeeded: fulfil it once, whoever reports it first.
pub async fn payment_succeeded(
    state: &AppState,
    order_id: &str,
    payment_ref: Option<String>,
    actor: &str,
) -> Result<PaymentOutcome, OrderError> {
    // A lost race re-reads the order and decides again; three rounds cover every path.
    for _ in 0..3 {
        let order = load(&state.db, order_id).await?;
        let from = match order.status {
            OrderStatus::Paid => return Ok(PaymentOutcome::AlreadyPaid),
            OrderStatus::Refunded => return finish_late_refund(state, &order).await,
            // Cancelled by the organizer or with its event: the money goes back, always.
            OrderStatus::Cancelled => {
                let why = if order.event_cancelled {
                    Late::EventCancelled
                } else {
                    Late::OrderCancelled
                };
                let payment_ref = payment_ref.clone().or(order.payment_ref.clone());
                return refund_late(state, &order, payment_ref, actor, why).await;
            }
            other => other,
        };
        let payment_ref = payment_ref.clone().or(order.payment_ref.clone());
        // Fulfilment moves `held` to `sold` on the same rows holds write: take the same
        // turns, so this instance's payments and holds queue instead of conflicting.
        let type_ids: Vec<String> = order
            .lines
            .iter()
            .filter_map(|l| match &l.ticket_type.key {
                RecordIdKey::String(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let type_ids: Vec<&str> = type_ids.iter().map(String::as_str).collect();
        let link_key = new_token();
        let fulfilled = {
            let _turns = state.holds.turns(&type_ids).await;
            OrderRepo(&state.db)
                .fulfil(
                    order_id,
                    Fulfilment {
                        from,
                        payment_ref: payment_ref.clone(),
                        tickets: tickets_for(&order),
                        email: &order.buyer_email,
                        link_key: &link_key,
                        link_hash: session_key(&link_key),
                        actor,
                    },
                )
                .await
        };
        match fulfilled {
            Ok(()) => {
                tracing::info!(
                    order = order_id,
                    from = from.as_str(),
                    actor,
                    "order paid and tickets issued"
                );
                state.event_cache.clear();
                state.metrics.order_fulfilled();
                return Ok(PaymentOutcome::Fulfilled);
            }
            Err(DbError::Rejected(code)) if code == WRONG_STATUS => continue,
            // A late payment and the seats were sold meanwhile: give the money back.
            Err(DbError::Rejected(code)) if code.starts_with(SOLD_OUT) => {
                return refund_late(state, &order, payment_ref, actor, Late::SoldOut).await;
            }
            // The event was cancelled meanwhile: a held order gives its seats back first
            // (and is refunded next round), a lapsed one is refunded now.
            Err(DbError::Rejected(code)) if code == EVENT_CANCELLED => {
                if from == OrderStatus::Pending {
                    release(state, order_id, Release::EventCancelled, actor).await?;
                    continue;
                }
                return refund_late(state, &order, payment_ref, actor, Late::EventCancelled).await;
            }
            // Two random ticket references collided: draw new ones.
            Err(DbError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OrderError::Db(DbError::Contention(3)))
}

/// What a Checkout Session event says about its session, as the webhook read it.
#[derive(Debug, Clone, Copy)]
pub struct SessionReport<'a> {
    /// `client_reference_id`: the order the session claims to pay.
    pub order_id: &'a str,
    pub session_id: Option<&'a str>,
    pub amount_total: Option<i64>,
    pub currency: Option<&'a str>,
    pub payment_status: Option<&'a str>,
}

/// Whether a session event may pay an order: it must be the session TickEx created for it
/// (any other session on the account could name the order in `client_reference_id`), for
/// exactly the order's amount and currency, and paid (`no_payment_required` only when the
/// order costs nothing).
fn pays_order(
    stored_session: Option<&str>,
    total_minor: i64,
    currency: &str,
    report: &SessionReport<'_>,
) -> Result<(), &'static str> {
    if stored_session.is_none() || report.session_id != stored_session {
        return Err("not the order's Checkout Session");
    }
    if report.amount_total != Some(total_minor) {
        return Err("amount differs from the order's total");
    }
    if !report
        .currency
        .is_some_and(|c| c.eq_ignore_ascii_case(currency))
    {
        return Err("currency differs from the order's");
    }
    match report.payment_status {
        Some("paid") => Ok(()),
        Some("no_payment_required") if total_minor == 0 => Ok(()),
        _ => Err("not paid"),
    }
}

/// `checkout.session.completed` / `async_payment_succeeded` that says paid: fulfil, but
/// only when the session is the order's own, for its amount. Anything else is logged and
/// changes nothing (the delivery is still acknowledged, so Stripe stops sending it).
pub async fn session_paid(
    state: &AppState,
    report: SessionReport<'_>,
    payment_ref: Option<String>,
    actor: &str,
) -> Result<(), OrderError> {
    let Some(order) = OrderRepo(&state.db).find(report.order_id).await? else {
        tracing::warn!(
            order = report.order_id,
            "a paid session names no known order; ignored"
        );
        return Ok(());
    };
    let stored = order.checkout_session_id.as_deref();
    if let Err(why) = pays_order(stored, order.total_minor, &order.currency, &report) {
        tracing::warn!(order = %order.id, session = ?report.session_id, why, "a session event that does not pay this order was ignored");
        return Ok(());
    }
    payment_succeeded(state, &order.id, payment_ref, actor).await?;
    Ok(())
}

/// `checkout.session.expired` / `async_payment_failed`: release the order's seats, but only
/// when the event is about the order's own session.
pub async fn session_ended(
    state: &AppState,
    report: SessionReport<'_>,
    why: Release,
    actor: &str,
) -> Result<(), OrderError> {
    let Some(order) = OrderRepo(&state.db).find(report.order_id).await? else {
        return Ok(());
    };
    if order.checkout_session_id.is_none()
        || order.checkout_session_id.as_deref() != report.session_id
    {
        tracing::warn!(order = %order.id, session = ?report.session_id, "an event about another session was ignored");
        return Ok(());
    }
    release(state, &order.id, why, actor).await?;
    Ok(())
}

/// The buyer is back from Stripe with their session: if Stripe says it is paid, fulfil at
/// once instead of waiting for the webhook. An explicit POST, never a page view.
pub async fn confirm_payment(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
    session_id: &str,
) -> Result<(), AppError> {
    let order = buyers_order(&state.db, access, order_id).await?;
    let matches = order.checkout_session_id.as_deref() == Some(session_id);
    if order.status != OrderStatus::Pending || !matches {
        return Ok(());
    }
    match state.payments.session(session_id).await {
        Ok(s) if s.paid => {
            payment_succeeded(state, order_id, s.payment_ref, &access.actor())
                .await
                .map_err(AppError::internal)?;
        }
        Ok(_) => {}
        // The webhook will still arrive; the order page shows it as it is.
        Err(e) => tracing::warn!(order = order_id, error = %e, "session lookup failed"),
    }
    Ok(())
}

/// The demo gateway's Pay button (demo mode only, checked by the caller): the same
/// fulfilment a Stripe payment gets.
pub async fn pay_demo_order(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
) -> Result<(), AppError> {
    let order = buyers_order(&state.db, access, order_id).await?;
    if order.status != OrderStatus::Pending {
        return Err(AppError::Validation(
            "This order is no longer waiting for payment.".into(),
        ));
    }
    payment_succeeded(
        state,
        order_id,
        Some(format!("demo_{order_id}")),
        &access.actor(),
    )
    .await
    .map_err(AppError::internal)?;
    Ok(())
}

/// Why a payment could not be fulfilled and goes back.
#[derive(Debug, Clone, Copy)]
enum Late {
    /// Paid after the hold lapsed, and the seats were sold meanwhile.
    SoldOut,
    /// Paid for an order the organizer cancelled.
    OrderCancelled,
    /// Paid for an order of a cancelled event.
    EventCancelled,
}

/// Marks a payment that cannot be fulfilled refunded, with the money owed (so the refunds
/// job sends it if this attempt fails), and sends it now. A failed send is this delivery's
/// error too, so the provider delivers the event again and admins see it in the inbox.
async fn refund_late(
    state: &AppState,
    order: &OrderRecord,
    payment_ref: Option<String>,
    actor: &str,
    why: Late,
) -> Result<PaymentOutcome, OrderError> {
    let (notice, note) = match why {
        Late::SoldOut => (
            RefundNotice::Refunded,
            "paid after the hold lapsed and the tickets were sold; refunded",
        ),
        Late::OrderCancelled => (
            RefundNotice::Refunded,
            "paid after the order was cancelled; refunded",
        ),
        Late::EventCancelled => (
            RefundNotice::EventCancelled,
            "paid after the event was cancelled; refunded",
        ),
    };
    let won = OrderRepo(&state.db)
        .mark_refunded(
            &order.id,
            Refund {
                from: order.status,
                owed: payment_ref.as_deref(),
                notice,
                actor,
                note,
            },
        )
        .await?;
    if !won {
        return Ok(PaymentOutcome::Ignored);
    }
    tracing::warn!(order = %order.id, ?why, "a payment that cannot be fulfilled is refunded");
    finish_late_refund(state, order).await?;
    Ok(PaymentOutcome::RefundedLate)
}

/// Sends the refund a late payment is owed, if it still is; a retried delivery asks again
/// at once rather than waiting for the refunds job.
async fn finish_late_refund(
    state: &AppState,
    order: &OrderRecord,
) -> Result<PaymentOutcome, OrderError> {
    match send_owed_refund(state, &order.id, Utc::now(), true).await? {
        RefundSent::Failed(e) => Err(e.into()),
        RefundSent::Sent | RefundSent::NotNow => Ok(PaymentOutcome::Ignored),
    }
}

/// Stripe reports a refund made outside TickEx (the dashboard): void the tickets.
pub async fn refunded_at_provider(
    state: &AppState,
    payment_ref: &str,
    actor: &str,
) -> Result<(), OrderError> {
    let repo = OrderRepo(&state.db);
    let Some(order) = repo.find_by_payment(payment_ref).await? else {
        return Ok(());
    };
    repo.mark_refunded(
        &order.id,
        Refund::money_returned(actor, "refunded at Stripe"),
    )
    .await?;
    state.event_cache.clear();
    Ok(())
}

/// Stripe reports part of a payment refunded (the dashboard): `amount_refunded` is the
/// total refunded so far, so a repeated or out-of-order event changes nothing twice. The
/// order keeps its tickets; its revenue drops by what was newly refunded.
pub async fn partly_refunded_at_provider(
    state: &AppState,
    payment_ref: &str,
    amount_refunded: i64,
    currency: &str,
    actor: &str,
) -> Result<(), OrderError> {
    let repo = OrderRepo(&state.db);
    let Some(order) = repo.find_by_payment(payment_ref).await? else {
        return Ok(());
    };
    if !order.currency.eq_ignore_ascii_case(currency) {
        tracing::warn!(order = %order.id, currency, "a refund in another currency than the order's was ignored");
        return Ok(());
    }
    if amount_refunded >= order.total_minor {
        return refunded_at_provider(state, payment_ref, actor).await;
    }
    repo.record_partial_refund(&order.id, amount_refunded, actor)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report<'a>(
        session: &'a str,
        amount: i64,
        currency: &'a str,
        status: &'a str,
    ) -> SessionReport<'a> {
        SessionReport {
            order_id: "o1",
            session_id: Some(session),
            amount_total: Some(amount),
            currency: Some(currency),
            payment_status: Some(status),
        }
    }

    #[test]
    fn only_the_orders_own_paid_session_for_its_amount_pays_it() {
        let own = Some("cs_1");
        assert_eq!(
            pays_order(own, 5000, "EUR", &report("cs_1", 5000, "eur", "paid")),
            Ok(())
        );
        assert!(pays_order(own, 5000, "EUR", &report("cs_other", 5000, "eur", "paid")).is_err());
        assert!(pays_order(None, 5000, "EUR", &report("cs_1", 5000, "eur", "paid")).is_err());
        assert!(pays_order(
            own,
            5000,
            "EUR",
            &report("cs_1", 0, "eur", "no_payment_required")
        )
        .is_err());
        assert!(pays_order(own, 5000, "EUR", &report("cs_1", 5000, "usd", "paid")).is_err());
        assert!(pays_order(own, 5000, "EUR", &report("cs_1", 5000, "eur", "unpaid")).is_err());
        assert_eq!(
            pays_order(
                own,
                0,
                "EUR",
                &report("cs_1", 0, "eur", "no_payment_required")
            ),
            Ok(())
        );
    }
}
