//! Refund bookkeeping: numbered refund attempts, and part of a paid order refunded at the
//! provider (the order stays paid with its tickets, its refunded amount grows, and the
//! dashboard counters lose exactly the new part).
use super::{changed, OrderRepo, LOG};
use crate::domain::OrderStatus;
use crate::server::db::DbError;
use crate::vars;

impl OrderRepo<'_> {
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
