//! `outbox`: emails written in the same transaction as what caused them (ticket emails by
//! `OrderRepo::fulfil`), sent after commit by the mail worker. A worker claims a row with
//! a guarded update and a lease, so two workers never send the same row.
use super::{new_id, Db, DbError};
use crate::vars;
use chrono::{DateTime, Duration, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub key: String,
    pub recipient: String,
    pub purchase: Option<String>,
    pub attempts: i64,
    pub status: String,
    pub subject: Option<String>,
    pub text_body: Option<String>,
    pub last_error: Option<String>,
    /// A ticket email's key of the order's link (cleared once sent).
    pub link_key: Option<String>,
    /// The reference of the one ticket of a `ticket` email.
    pub ticket: Option<String>,
    /// The waiting-list entry of a `waitlist_offer` email.
    pub waitlist_entry: Option<String>,
    pub created_at: DateTime<Utc>,
}

const ROW_FIELDS: &str = "record::id(id) AS id, kind, key, recipient,
    IF purchase { record::id(purchase) } ELSE { NONE } AS purchase, attempts, status, subject,
    text_body, last_error, link_key, ticket.reference AS ticket,
    IF waitlist_entry { record::id(waitlist_entry) } ELSE { NONE } AS waitlist_entry, created_at";

/// The state of the outbox as a whole.
#[derive(Debug, Default, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OutboxHealth {
    pub waiting: i64,
    pub oldest_waiting: Option<DateTime<Utc>>,
    pub failed: i64,
}

/// How a send attempt ended, as the row records it.
pub enum Delivery {
    /// Handed to the provider, which calls it `provider_id`.
    Sent {
        provider_id: Option<String>,
        /// The dev mailbox is the email's only copy and builds it again to show it: the
        /// link key stays. Anywhere else it is cleared once the email has left.
        kept_here: bool,
    },
    /// Try again at `next`.
    Retry {
        next: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
    },
    /// Not tried after all (the provider asked us to slow down): due again at `next`, and
    /// the attempt is given back.
    Deferred {
        next: DateTime<Utc>,
    },
}

/// A delivery report from the provider, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryReport {
    Delivered,
    Bounced,
    Complained,
}

impl DeliveryReport {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryReport::Delivered => "delivered",
            DeliveryReport::Bounced => "bounced",
            DeliveryReport::Complained => "complained",
        }
    }
}

/// An email's state as organizers read it: the provider's delivery report when there is
/// one (`delivered`, `bounced: <why>`, `complained`), else `pending`, `sent` or
/// `failed: <why>`.
pub const EMAIL_STATUS: &str = "IF delivery = 'bounced' {
        string::concat('bounced: ', delivery_detail ?? 'the address does not accept mail')
    } ELSE IF delivery { delivery }
    ELSE IF status = 'failed' { string::concat('failed: ', last_error) }
    ELSE { status }";

/// Queues an email about an order, built from the records when it is sent; expects
/// `$purchase`, `$kind` (`tickets`, `refund`, `event_cancelled`, `event_changed`), `$key`
/// (the provider's idempotency key, unique) and `$recipient`. Used inside the transactions
/// that cause the email.
pub const QUEUE_ORDER_EMAIL: &str = "CREATE outbox SET kind = $kind, purchase = $purchase,
    key = $key, recipient = $recipient, status = 'pending', attempts = 0,
    next_attempt_at = time::now(), created_at = time::now();";

/// Queues the email of one ticket (`$issued`) to its own holder (`$ticket.holder_email`)
/// under `$ticket_email_key`; expects `$purchase`.
pub const QUEUE_TICKET_EMAIL: &str = "CREATE outbox SET kind = 'ticket', purchase = $purchase,
    ticket = $issued[0], key = $ticket_email_key, link_key = $holder_key,
    recipient = $ticket.holder_email, status = 'pending', attempts = 0,
    next_attempt_at = time::now(), created_at = time::now();";

pub struct OutboxRepo<'a>(pub &'a Db);

impl OutboxRepo<'_> {
    /// Ids of rows due now: pending ones whose time came, and ones whose lease lapsed.
    pub async fn due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<String>, DbError> {
        self.0
            .rows(
                "SELECT VALUE record::id(id) FROM outbox
                 WHERE (status = 'pending' AND next_attempt_at <= $now)
                    OR (status = 'sending' AND lease_until < $now)
                 ORDER BY next_attempt_at ASC LIMIT $limit",
                vars![("now", now), ("limit", limit)],
            )
            .await
    }

    /// Takes a due row for `lease` seconds; `None` when another worker has it.
    pub async fn claim(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<OutboxRow>, DbError> {
        let sql = format!(
            "UPDATE type::record('outbox', $id)
                SET status = 'sending', lease_until = $lease, lease_owner = $owner, attempts += 1
             WHERE (status = 'pending' AND next_attempt_at <= $now)
                OR (status = 'sending' AND lease_until < $now);
             SELECT {ROW_FIELDS} FROM type::record('outbox', $id) WHERE lease_owner = $owner;"
        );
        let mut response = self
            .0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("now", now),
                    ("lease", now + lease),
                    ("owner", new_id())
                ],
            )
            .await?;
        let mut rows: Vec<OutboxRow> = response.take(1).map_err(DbError::from_surreal)?;
        Ok(rows.pop())
    }

    /// Records how a claimed row's send ended and gives up the lease.
    pub async fn finish(&self, id: &str, delivery: Delivery) -> Result<(), DbError> {
        let kept_here = matches!(
            delivery,
            Delivery::Sent {
                kept_here: true,
                ..
            }
        );
        let (sql, next, error, provider_id) = match delivery {
            Delivery::Sent { provider_id, .. } => (
                "UPDATE type::record('outbox', $id) SET status = 'sent', sent_at = time::now(),
                    link_key = IF $kept_here { link_key } ELSE { NONE },
                    lease_until = NONE, last_error = NONE, provider_id = $provider_id",
                None,
                None,
                provider_id,
            ),
            Delivery::Retry { next, error } => (
                "UPDATE type::record('outbox', $id) SET status = 'pending', lease_until = NONE,
                    next_attempt_at = $next, last_error = $error",
                Some(next),
                Some(error),
                None,
            ),
            Delivery::Deferred { next } => (
                "UPDATE type::record('outbox', $id) SET status = 'pending', lease_until = NONE,
                    next_attempt_at = $next, attempts -= 1",
                Some(next),
                None,
                None,
            ),
            Delivery::Failed { error } => (
                "UPDATE type::record('outbox', $id) SET status = 'failed', lease_until = NONE,
                    last_error = $error",
                None,
                Some(error),
                None,
            ),
        };
        self.0
            .execute(
                sql,
                vars![
                    ("id", id.to_owned()),
                    ("next", next),
                    ("error", error),
                    ("provider_id", provider_id),
                    ("kept_here", kept_here)
                ],
            )
            .await?;
        Ok(())
    }

    /// What the provider reported about an email it accepted (its delivery webhooks). A
    /// stronger report replaces a weaker one, never the reverse, so repeated or
    /// out-of-order events settle the same. False when no email has that provider id.
    pub async fn record_delivery(
        &self,
        provider_id: &str,
        report: DeliveryReport,
        detail: Option<String>,
    ) -> Result<bool, DbError> {
        let replaces: &[&str] = match report {
            DeliveryReport::Delivered => &["none"],
            DeliveryReport::Bounced => &["none", "delivered"],
            DeliveryReport::Complained => &["none", "delivered", "bounced"],
        };
        let mut response = self
            .0
            .execute(
                "LET $rows = (SELECT VALUE id FROM outbox WHERE provider_id = $provider_id);
                 UPDATE $rows SET delivery = $report, delivery_detail = $detail,
                    delivery_at = time::now()
                 WHERE (delivery ?? 'none') IN $replaces;
                 RETURN array::len($rows) > 0;",
                vars![
                    ("provider_id", provider_id.to_owned()),
                    ("report", report.as_str()),
                    ("detail", detail),
                    ("replaces", replaces.to_vec())
                ],
            )
            .await?;
        let known: Option<bool> = response.take(2).map_err(DbError::from_surreal)?;
        Ok(known == Some(true))
    }

    /// Queues a plain-text email.
    pub async fn enqueue_text(
        &self,
        key: &str,
        to: &str,
        subject: &str,
        text: &str,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "CREATE outbox SET kind = 'text', key = $key, recipient = $to, subject = $subject,
                    text_body = $text, status = 'pending', attempts = 0,
                    next_attempt_at = time::now(), created_at = time::now()",
                vars![
                    ("key", key.to_owned()),
                    ("to", to.to_owned()),
                    ("subject", subject.to_owned()),
                    ("text", text.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// The latest state of an order's ticket email ([`EMAIL_STATUS`]).
    pub async fn order_email_status(&self, order_id: &str) -> Result<Option<String>, DbError> {
        self.0
            .first(
                &format!(
                    "SELECT VALUE {EMAIL_STATUS} FROM outbox
                     WHERE purchase = type::record('purchase', $order)
                     ORDER BY created_at DESC LIMIT 1"
                ),
                vars![("order", order_id.to_owned())],
            )
            .await
    }

    /// Emails waiting to be sent (pending, including those backing off), the oldest of
    /// them, and the ones given up on.
    pub async fn health(&self) -> Result<OutboxHealth, DbError> {
        let mut response = self
            .0
            .execute(
                "LET $waiting = (SELECT VALUE created_at FROM outbox
                    WHERE status IN ['pending', 'sending'] ORDER BY created_at);
                 RETURN {
                    waiting: array::len($waiting),
                    oldest_waiting: $waiting[0],
                    failed: array::len((SELECT VALUE id FROM outbox WHERE status = 'failed')),
                 };",
                vars![],
            )
            .await?;
        let health: Option<OutboxHealth> = response.take(1).map_err(DbError::from_surreal)?;
        Ok(health.unwrap_or_default())
    }

    /// The newest rows, newest first: to `recipient` only, or all of them with `None`.
    pub async fn latest(
        &self,
        recipient: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, DbError> {
        let only = if recipient.is_some() {
            "WHERE recipient = $recipient"
        } else {
            ""
        };
        let sql =
            format!("SELECT {ROW_FIELDS} FROM outbox {only} ORDER BY created_at DESC LIMIT $limit");
        self.0
            .rows(
                &sql,
                vars![
                    ("recipient", recipient.map(str::to_owned)),
                    ("limit", limit)
                ],
            )
            .await
    }

    pub async fn find(&self, id: &str) -> Result<Option<OutboxRow>, DbError> {
        let sql = format!("SELECT {ROW_FIELDS} FROM type::record('outbox', $id)");
        self.0.first(&sql, vars![("id", id.to_owned())]).await
    }
}
