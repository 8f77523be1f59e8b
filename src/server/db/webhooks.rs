//! `webhook_event`: the Stripe events already processed, so a repeat delivery is a no-op.
use super::{Db, DbError};
use crate::vars;

pub struct WebhookRepo<'a>(pub &'a Db);

impl WebhookRepo<'_> {
    pub async fn seen(&self, event_id: &str) -> Result<bool, DbError> {
        let seen: Option<bool> = self
            .0
            .first(
                "SELECT VALUE true FROM type::record('webhook_event', $id)",
                vars![("id", event_id.to_owned())],
            )
            .await?;
        Ok(seen.is_some())
    }

    /// Records a processed Stripe event; recording it twice is fine.
    pub async fn record(&self, event_id: &str, kind: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "UPSERT type::record('webhook_event', $id) SET kind = $kind, processed_at = time::now()",
                vars![("id", event_id.to_owned()), ("kind", kind.to_owned())],
            )
            .await?;
        Ok(())
    }
}
