//! `webhook_event`: the payments inbox. Every verified Stripe event is stored with its raw
//! body before it is processed; a processed one makes a repeat delivery a no-op, a failed
//! or unfinished one can be processed again.
use super::{Db, DbError};
use crate::domain::PaymentEventStatus;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

/// Longest processing error kept on a row.
const ERROR_CHARS: usize = 500;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StoredEvent {
    pub id: String,
    pub kind: String,
    pub body: Option<String>,
    pub status: PaymentEventStatus,
    pub received_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

const FIELDS: &str = "record::id(id) AS id, kind, body, status, received_at, attempts, last_error";

pub struct WebhookRepo<'a>(pub &'a Db);

impl WebhookRepo<'_> {
    /// Stores a delivery (the first one's arrival time and state are kept) and returns the
    /// event's state: `Processed` means there is nothing left to do.
    pub async fn receive(
        &self,
        event_id: &str,
        kind: &str,
        body: &str,
    ) -> Result<PaymentEventStatus, DbError> {
        let status: Option<PaymentEventStatus> = self
            .0
            .first(
                // A processed event's body was dropped on purpose: a repeat does not store it again.
                "UPSERT type::record('webhook_event', $id) SET kind = $kind,
                    body = IF status = 'processed' { NONE } ELSE { $body },
                    received_at = received_at ?? time::now(), status = status ?? 'received'
                 RETURN VALUE status",
                vars![
                    ("id", event_id.to_owned()),
                    ("kind", kind.to_owned()),
                    ("body", body.to_owned())
                ],
            )
            .await?;
        status.ok_or_else(|| DbError::Query("the inbox row was not written".into()))
    }

    /// Records one finished processing attempt: `Ok` marks it processed, an error is kept
    /// for the admin unless another delivery processed the event meanwhile.
    pub async fn finish(&self, event_id: &str, outcome: Result<(), String>) -> Result<(), DbError> {
        let id = event_id.to_owned();
        match outcome {
            Ok(()) => self.0.execute(
                // The raw body (buyer names and emails) is kept only while it may be needed.
                "UPDATE type::record('webhook_event', $id) SET status = 'processed',
                    processed_at = time::now(), attempts += 1, last_error = NONE, body = NONE",
                vars![("id", id)],
            ),
            Err(error) => self.0.execute(
                "UPDATE type::record('webhook_event', $id) SET status = 'failed',
                    attempts += 1, last_error = $error WHERE status != 'processed'",
                vars![
                    ("id", id),
                    ("error", error.chars().take(ERROR_CHARS).collect::<String>())
                ],
            ),
        }
        .await?;
        Ok(())
    }

    pub async fn find(&self, event_id: &str) -> Result<Option<StoredEvent>, DbError> {
        self.0
            .first(
                &format!("SELECT {FIELDS} FROM type::record('webhook_event', $id)"),
                vars![("id", event_id.to_owned())],
            )
            .await
    }

    /// Events not processed (failed, or cut short), newest first.
    pub async fn unsettled(&self, limit: i64) -> Result<Vec<StoredEvent>, DbError> {
        self.0
            .rows(
                &format!(
                    "SELECT {FIELDS} FROM webhook_event WHERE status IN ['received', 'failed']
                     ORDER BY received_at DESC LIMIT $limit"
                ),
                vars![("limit", limit)],
            )
            .await
    }
}
