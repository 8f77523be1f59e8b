//! Refunds: an order marked refunded (tickets void, seats back, the buyer told), the money
//! owed back until the provider accepts it (`refund_pending`, retried with backoff),
//! numbered refund attempts, and part of a paid order refunded at the provider (the order
//! stays paid with its tickets, its refunded amount grows, and the dashboard counters lose
//! exactly the new part).
use super::{changed, OrderRepo, COUNT_SALE_BODY, LOG};
use crate::domain::OrderStatus;
use crate::server::db::ledger::MOVE_SEATS;
use crate::server::db::outbox::QUEUE_ORDER_EMAIL;
use crate::server::db::DbError;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

/// Which email tells the buyer about the refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundNotice {
    /// "Your order was refunded" (by the organizer, at the provider, or a late payment).
    Refunded,
    /// "The event was cancelled; your money is on its way back".
    EventCancelled,
}

impl RefundNotice {
    /// The outbox kind of the email.
    pub fn kind(self) -> &'static str {
        match self {
            RefundNotice::Refunded => "refund",
            RefundNotice::EventCancelled => "event_cancelled",
        }
    }
}

/// An order marked refunded.
pub struct Refund<'a> {
    /// `paid`, or `expired`/`cancelled` for a payment that arrived after the order lapsed.
    pub from: OrderStatus,
    /// The payment still to give back (kept as owed until the provider accepts the refund);
    /// `None` when the money went back already or nothing was paid.
    pub owed: Option<&'a str>,
    pub notice: RefundNotice,
    pub actor: &'a str,
    pub note: &'a str,
}

impl<'a> Refund<'a> {
    /// A paid order whose money went back already (the organizer's refund, or one made in
    /// Stripe's dashboard).
    pub fn money_returned(actor: &'a str, note: &'a str) -> Self {
        Refund {
            from: OrderStatus::Paid,
            owed: None,
            notice: RefundNotice::Refunded,
            actor,
            note,
        }
    }
}

/// An owed refund taken by one sender: the payment and this attempt's number.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OwedRefund {
    pub payment_ref: String,
    pub refund_attempts: i64,
}

/// An order of a cancelled event that still holds seats or money.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct UnsettledOrder {
    pub id: String,
    pub status: OrderStatus,
}

impl OrderRepo<'_> {
    /// Marks the order refunded in one transaction with its log row and the buyer's email;
    /// a ticket email still queued for it is cancelled. From `paid` its tickets become void,
    /// its seats go back on sale and the dashboard loses the sale; a late payment
    /// (`expired`/`cancelled`) holds no seats. False when the order was not in `from`.
    pub async fn mark_refunded(&self, id: &str, refund: Refund<'_>) -> Result<bool, DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $refunded = (UPDATE $purchase SET status = 'refunded', updated_at = time::now(),
                    late_payment_refunded = $from != 'paid', payment_ref = $owed ?? payment_ref,
                    refund_pending = $owed != NONE,
                    refund_due_at = IF $owed != NONE {{ time::now() }} ELSE {{ NONE }}
                WHERE status = $from RETURN AFTER);
             IF array::len($refunded) = 0 {{ THROW 'wrong_status' }};
             IF $from = 'paid' {{
                FOR $line IN $refunded[0].lines {{
                    LET $seat_type = $line.ticket_type;
                    LET $quantity = $line.quantity;
                    LET $seats_from = 'sold';
                    LET $seats_to = 'available';
                    LET $short = 'inventory_mismatch:';
                    {MOVE_SEATS}
                }};
                UPDATE ticket SET status = 'void' WHERE purchase = $purchase;
                LET $sale = $refunded[0];
                LET $sign = -1;
                LET $day = time::format($sale.paid_at ?? time::now(), '%Y-%m-%d');
                {COUNT_SALE_BODY}
             }};
             UPDATE outbox SET status = 'cancelled', last_error = 'the order was refunded'
                WHERE purchase = $purchase AND kind = 'tickets' AND status = 'pending';
             LET $key = string::concat($kind, '/', $id);
             LET $recipient = $refunded[0].buyer.email ?? $refunded[0].guest_email;
             {QUEUE_ORDER_EMAIL}
             {LOG}
             COMMIT TRANSACTION;"
        );
        let outcome = self
            .0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("from", refund.from),
                    ("owed", refund.owed.map(str::to_owned)),
                    ("kind", refund.notice.kind()),
                    ("to", OrderStatus::Refunded),
                    ("actor", refund.actor.to_owned()),
                    ("note", Some(refund.note.to_owned()))
                ],
            )
            .await;
        changed(outcome)
    }

    /// Takes an owed refund for one attempt: it must be due at `now` (or, with `now_anyway`
    /// for a redelivered payment event, merely not held by another sender), and is held
    /// until `hold_until` so another sender leaves it alone; a sender that dies leaves it
    /// due again then. `None` when there is nothing owed or someone else holds it.
    pub async fn take_owed_refund(
        &self,
        id: &str,
        now: DateTime<Utc>,
        hold_until: DateTime<Utc>,
        now_anyway: bool,
    ) -> Result<Option<OwedRefund>, DbError> {
        self.0
            .first(
                "UPDATE type::record('purchase', $id)
                    SET refund_due_at = $hold_until, refund_taken_at = $now,
                        refund_attempts = (refund_attempts ?? 0) + 1
                 WHERE refund_pending = true AND payment_ref != NONE
                    AND (refund_due_at <= $now OR ($anyway AND refund_taken_at = NONE))
                 RETURN payment_ref, refund_attempts",
                vars![
                    ("id", id.to_owned()),
                    ("now", now),
                    ("hold_until", hold_until),
                    ("anyway", now_anyway)
                ],
            )
            .await
    }

    /// The provider accepted an owed refund: nothing is owed any more (logged).
    pub async fn owed_refund_sent(&self, id: &str, actor: &str) -> Result<(), DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $sent = (UPDATE $purchase SET refund_pending = false, refund_due_at = NONE,
                    refund_taken_at = NONE, refund_error = NONE, refund_sent_at = time::now()
                WHERE refund_pending = true RETURN VALUE id);
             IF array::len($sent) > 0 {{ {LOG} }};
             COMMIT TRANSACTION;"
        );
        self.0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("from", OrderStatus::Refunded),
                    ("to", OrderStatus::Refunded),
                    ("actor", actor.to_owned()),
                    (
                        "note",
                        Some("the refund was accepted by the payment provider")
                    )
                ],
            )
            .await?;
        Ok(())
    }

    /// An owed refund's attempt failed: due again at `next`, with the provider's answer.
    pub async fn owed_refund_failed(
        &self,
        id: &str,
        next: DateTime<Utc>,
        error: &str,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "UPDATE type::record('purchase', $id) SET refund_due_at = $next,
                    refund_taken_at = NONE, refund_error = $error
                 WHERE refund_pending = true",
                vars![
                    ("id", id.to_owned()),
                    ("next", next),
                    ("error", error.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// Orders whose owed refund is due at `now`, longest waiting first.
    pub async fn owed_refunds_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<String>, DbError> {
        self.0
            .rows(
                "SELECT VALUE record::id(id) FROM purchase
                 WHERE refund_pending = true AND refund_due_at <= $now
                 ORDER BY refund_due_at ASC LIMIT $limit",
                vars![("now", now), ("limit", limit)],
            )
            .await
    }

    /// How many refunds of the event's orders the provider has not accepted yet.
    pub async fn owed_refunds_of_event(&self, event_id: &str) -> Result<i64, DbError> {
        let count: Option<i64> = self
            .0
            .first(
                "SELECT VALUE count() FROM purchase
                 WHERE event = type::record('event', $event) AND refund_pending = true GROUP ALL",
                vars![("event", event_id.to_owned())],
            )
            .await?;
        Ok(count.unwrap_or(0))
    }

    /// Orders of cancelled events still pending or paid (a payment that raced the
    /// cancellation, or a cancellation cut short), at most `limit`.
    pub async fn unsettled_of_cancelled_events(
        &self,
        limit: i64,
    ) -> Result<Vec<UnsettledOrder>, DbError> {
        self.0
            .rows(
                "SELECT record::id(id) AS id, status FROM purchase
                 WHERE status IN ['pending', 'paid']
                    AND event IN (SELECT VALUE id FROM event WHERE status = 'cancelled')
                 LIMIT $limit",
                vars![("limit", limit)],
            )
            .await
    }

    /// Counts a new refund attempt for the order and returns its number (1, 2, ...).
    pub async fn next_refund_attempt(&self, id: &str) -> Result<i64, DbError> {
        let attempt: Option<i64> = self
            .0
            .first(
                "UPDATE type::record('purchase', $id) SET refund_attempts = (refund_attempts ?? 0) + 1
                 RETURN VALUE refund_attempts",
                vars![("id", id.to_owned())],
            )
            .await?;
        attempt.ok_or_else(|| DbError::Query(format!("order {id} not found")))
    }

    /// Records `amount_refunded` (the total refunded so far, below the order's total) in one
    /// transaction with its log row. False when nothing changed: the order is not paid, or
    /// it already records this much (a repeated or older event).
    pub async fn record_partial_refund(
        &self,
        id: &str,
        amount_refunded: i64,
        actor: &str,
    ) -> Result<bool, DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $before = (UPDATE $purchase SET refunded_minor = $amount, updated_at = time::now()
                WHERE status = 'paid' AND (refunded_minor ?? 0) < $amount AND $amount < total_minor
                RETURN BEFORE);
             IF array::len($before) = 0 {{ THROW 'wrong_status' }};
             LET $delta = $amount - ($before[0].refunded_minor ?? 0);
             UPDATE $before[0].event SET revenue_minor = (revenue_minor ?? 0) - $delta;
             LET $day = time::format($before[0].paid_at ?? time::now(), '%Y-%m-%d');
             UPDATE type::record('sales_day', string::concat(record::id($before[0].event), '_', $day))
                SET revenue_minor = (revenue_minor ?? 0) - $delta;
             {LOG}
             COMMIT TRANSACTION;"
        );
        let outcome = self
            .0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("amount", amount_refunded),
                    ("from", OrderStatus::Paid),
                    ("to", OrderStatus::Paid),
                    ("actor", actor.to_owned()),
                    ("note", Some(format!("partly refunded at the provider: {amount_refunded} in minor units so far")))
                ],
            )
            .await;
        changed(outcome)
    }
}
