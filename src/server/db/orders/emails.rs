//! An order's ticket email sent to an address the organizer corrected (after a bounce).
use super::{OrderRepo, LOG};
use crate::domain::OrderStatus;
use crate::server::db::outbox::QUEUE_TICKETS;
use crate::server::db::DbError;
use crate::vars;
use chrono::{DateTime, Utc};

impl OrderRepo<'_> {
    /// Queues the ticket email to `to` with its log row, in one transaction, while the order
    /// is paid (else `wrong_status`). At most one such email per order every ten minutes: a
    /// second is `DbError::Duplicate`.
    pub async fn send_tickets_to(
        &self,
        id: &str,
        to: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             IF (SELECT VALUE status FROM ONLY $purchase) != 'paid' {{ THROW 'wrong_status' }};
             {QUEUE_TICKETS}
             {LOG}
             COMMIT TRANSACTION;"
        );
        self.0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    (
                        "key",
                        format!(
                            "order-confirmation/{id}/corrected/{}",
                            now.timestamp() / 600
                        )
                    ),
                    ("recipient", to.to_owned()),
                    ("from", OrderStatus::Paid),
                    ("to", OrderStatus::Paid),
                    ("actor", actor.to_owned()),
                    ("note", Some(format!("ticket email sent to {to}")))
                ],
            )
            .await?;
        Ok(())
    }
}
