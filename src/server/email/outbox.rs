//! The outbox worker. Rows are written in the same transaction as what caused them; this
//! sends them after commit. A worker first claims a row with a guarded update (a lease), so
//! two workers or two app instances never send the same row; a worker that dies mid-send
//! loses its lease and another takes over with the same idempotency key, which the provider
//! uses to deliver once.
use super::templates::{self, TicketEmail, TicketLine};
use super::{Email, SendError};
use crate::domain::DevEmail;
use crate::error::AppError;
use crate::server::db::orders::OrderRepo;
use crate::server::db::{DbError, EventRepo};
use crate::server::services::catalog::{format_when, money, place};
use crate::server::state::AppState;
use crate::vars;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use surrealdb::types::SurrealValue;

const MAX_ATTEMPTS: i64 = 8;
const LEASE_SECS: i64 = 120;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct OutboxRow {
    id: String,
    kind: String,
    key: String,
    recipient: String,
    purchase: Option<String>,
    attempts: i64,
    status: String,
    subject: Option<String>,
    text_body: Option<String>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
}

const ROW_FIELDS: &str = "record::id(id) AS id, kind, key, recipient,
    IF purchase { record::id(purchase) } ELSE { NONE } AS purchase, attempts, status, subject,
    text_body, last_error, created_at";

/// Retry delay after `attempts` failures: 10 s doubling to at most an hour, with ±25% jitter
/// so many failed rows do not retry in lockstep.
fn backoff(attempts: i64) -> Duration {
    let base = (10_i64 << attempts.clamp(0, 12).saturating_sub(1)).min(3600);
    let jitter = (rand::random::<u16>() as i64 % (base / 2 + 1)) - base / 4;
    Duration::seconds(base + jitter)
}

/// Sends every row that is due; returns how many were sent.
pub async fn run_once(state: &AppState, now: DateTime<Utc>) -> Result<usize, DbError> {
    let mut response = state
        .db
        .execute(
            "SELECT VALUE record::id(id) FROM outbox
             WHERE (status = 'pending' AND next_attempt_at <= $now)
                OR (status = 'sending' AND lease_until < $now)
             ORDER BY next_attempt_at ASC LIMIT 50",
            vars![("now", now)],
        )
        .await?;
    let due: Vec<String> = response.take(0).map_err(DbError::from_surreal)?;
    let mut sent = 0;
    for id in due {
        if let Some(row) = claim(state, &id, now).await? {
            if deliver(state, row, now).await? {
                sent += 1;
            }
        }
    }
    Ok(sent)
}

/// Takes the row for this worker; `None` when another worker has it.
async fn claim(
    state: &AppState,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<OutboxRow>, DbError> {
    let sql = format!(
        "UPDATE type::record('outbox', $id)
            SET status = 'sending', lease_until = $lease, lease_owner = $owner, attempts += 1
         WHERE (status = 'pending' AND next_attempt_at <= $now)
            OR (status = 'sending' AND lease_until < $now);
         SELECT {ROW_FIELDS} FROM type::record('outbox', $id) WHERE lease_owner = $owner;"
    );
    let mut response = state
        .db
        .execute(
            &sql,
            vars![
                ("id", id.to_owned()),
                ("now", now),
                ("lease", now + Duration::seconds(LEASE_SECS)),
                ("owner", uuid::Uuid::new_v4().simple().to_string())
            ],
        )
        .await?;
    let mut rows: Vec<OutboxRow> = response.take(1).map_err(DbError::from_surreal)?;
    Ok(rows.pop())
}

async fn deliver(state: &AppState, row: OutboxRow, now: DateTime<Utc>) -> Result<bool, DbError> {
    let outcome = match build(state, &row).await {
        Ok(email) => state.mailer.send(&email, &row.key).await,
        Err(e) => Err(SendError::Permanent(format!("cannot build the email: {e}"))),
    };
    let (sql, error) = match &outcome {
        Ok(()) => (
            "UPDATE type::record('outbox', $id) SET status = 'sent', sent_at = time::now(),
                lease_until = NONE, last_error = NONE",
            None,
        ),
        Err(SendError::Retryable(reason)) if row.attempts < MAX_ATTEMPTS => (
            "UPDATE type::record('outbox', $id) SET status = 'pending', lease_until = NONE,
                next_attempt_at = $next, last_error = $error",
            Some(reason.clone()),
        ),
        Err(SendError::Retryable(reason) | SendError::Permanent(reason)) => (
            "UPDATE type::record('outbox', $id) SET status = 'failed', lease_until = NONE,
                last_error = $error",
            Some(reason.clone()),
        ),
    };
    state
        .db
        .execute(
            sql,
            vars![
                ("id", row.id.clone()),
                ("next", now + backoff(row.attempts)),
                ("error", error.clone())
            ],
        )
        .await?;
    match &outcome {
        Ok(()) => tracing::info!(outbox = %row.id, key = %row.key, "email sent"),
        Err(e) => {
            tracing::warn!(outbox = %row.id, key = %row.key, attempts = row.attempts, error = %e, "email not sent")
        }
    }
    Ok(outcome.is_ok())
}

/// The email a row stands for, built from the records as they are now.
async fn build(state: &AppState, row: &OutboxRow) -> Result<Email, String> {
    match (row.kind.as_str(), &row.purchase) {
        ("tickets", Some(order)) => ticket_email(state, order, &row.recipient).await,
        _ => match (&row.subject, &row.text_body) {
            (Some(subject), Some(text)) => Ok(Email {
                to: row.recipient.clone(),
                subject: subject.clone(),
                html: text_as_html(text),
                text: text.clone(),
                images: Vec::new(),
            }),
            _ => Err(format!("unknown email kind {}", row.kind)),
        },
    }
}

/// Plain text as HTML: escaped, line breaks kept, web addresses as links.
fn text_as_html(text: &str) -> String {
    use crate::domain::rich_text::{inlines, Inline};
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            inlines(line)
                .into_iter()
                .map(|piece| match piece {
                    Inline::Text(t) => templates::escape(&t),
                    Inline::Link(url) => {
                        let url = templates::escape(&url);
                        format!(r#"<a href="{url}">{url}</a>"#)
                    }
                })
                .collect()
        })
        .collect();
    format!(
        r#"<p style="font-family:Arial,Helvetica,sans-serif;">{}</p>"#,
        lines.join("<br>")
    )
}

async fn ticket_email(state: &AppState, order_id: &str, to: &str) -> Result<Email, String> {
    let orders = OrderRepo(&state.db);
    let order = orders
        .find(order_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the order is gone")?;
    let tickets = orders
        .tickets_of_order(order_id)
        .await
        .map_err(|e| e.to_string())?;
    let (event, _) = EventRepo(&state.db)
        .find_by_id(&order.event)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the event is gone")?;
    let amount = |minor: i64| {
        money(minor, &order.currency)
            .map(|m| m.to_string())
            .map_err(|e| e.to_string())
    };
    let lines = order
        .lines
        .iter()
        .map(|l| {
            Ok((
                format!("{} × {}", l.quantity, l.name),
                amount(l.unit_price_minor * l.quantity)?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(templates::ticket_email(&TicketEmail {
        to: to.to_owned(),
        buyer_name: order.buyer_name.clone(),
        place: place(&event.venue, &event.address, event.online_url.as_deref()),
        when: format_when(event.starts_at, &event.time_zone),
        event_title: event.title,
        online_url: event.online_url,
        order_reference: order.reference.clone(),
        lines,
        total: amount(order.total_minor)?,
        tickets: tickets
            .into_iter()
            .filter(|t| t.status != "void")
            .map(|t| TicketLine {
                reference: t.reference,
                type_name: t.type_name,
                code: t.code,
            })
            .collect(),
        my_tickets_url: format!("{}/tickets", state.settings.public_base_url),
    }))
}

/// Runs `run_once` at the configured interval, for as long as the server runs.
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let period =
            std::time::Duration::from_secs(state.settings.outbox_interval_secs.max(1) as u64);
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = run_once(&state, Utc::now()).await {
                tracing::error!(error = %e, "outbox round failed");
            }
        }
    })
}

/// Queues a plain-text email (the dev mailbox's password reset links).
pub async fn enqueue_text(state: &AppState, key: &str, email: &Email) -> Result<(), DbError> {
    state
        .db
        .execute(
            "CREATE outbox SET kind = 'text', key = $key, recipient = $to, subject = $subject,
                text_body = $text, status = 'pending', attempts = 0,
                next_attempt_at = time::now(), created_at = time::now()",
            vars![
                ("key", key.to_owned()),
                ("to", email.to.clone()),
                ("subject", email.subject.clone()),
                ("text", email.text.clone())
            ],
        )
        .await?;
    Ok(())
}

/// Queues the ticket email of a paid order again, at most once per ten minutes.
pub async fn enqueue_resend(
    state: &AppState,
    order_id: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let window = now.timestamp() / 600;
    let outcome = state
        .db
        .execute(
            "CREATE outbox SET kind = 'tickets', purchase = type::record('purchase', $order),
                key = $key, recipient = $to, status = 'pending', attempts = 0,
                next_attempt_at = time::now(), created_at = time::now()",
            vars![
                ("order", order_id.to_owned()),
                (
                    "key",
                    format!("order-confirmation/{order_id}/resend/{window}")
                ),
                ("to", to.to_owned())
            ],
        )
        .await;
    match outcome {
        Ok(_) => Ok(()),
        Err(DbError::Duplicate(_)) => Err(AppError::Validation(
            "The tickets were sent again a moment ago. Please check your inbox (and spam folder) and try later.".into(),
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// The latest email state of an order's ticket email, for the organizer.
pub async fn order_email_status(
    state: &AppState,
    order_id: &str,
) -> Result<Option<String>, DbError> {
    let mut response = state
        .db
        .execute(
            "SELECT VALUE IF status = 'failed' { string::concat('failed: ', last_error) } ELSE { status }
             FROM outbox WHERE purchase = type::record('purchase', $order)
             ORDER BY created_at DESC LIMIT 1",
            vars![("order", order_id.to_owned())],
        )
        .await?;
    let rows: Vec<String> = response.take(0).map_err(DbError::from_surreal)?;
    Ok(rows.into_iter().next())
}

/// How many emails wait to be sent (pending, including those backing off after a failure).
pub async fn backlog(db: &crate::server::db::Db) -> Result<u64, DbError> {
    let mut response = db
        .execute(
            "RETURN array::len((SELECT VALUE id FROM outbox WHERE status IN ['pending', 'sending']))",
            vars![],
        )
        .await?;
    let n: Option<i64> = response.take(0).map_err(DbError::from_surreal)?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// The newest emails, as the dev mailbox lists them.
pub async fn dev_mailbox(state: &AppState) -> Result<Vec<DevEmail>, AppError> {
    let sql = format!("SELECT {ROW_FIELDS} FROM outbox ORDER BY created_at DESC LIMIT 30");
    let mut response = state
        .db
        .execute(&sql, vars![])
        .await
        .map_err(AppError::internal)?;
    let rows: Vec<OutboxRow> = response
        .take(0)
        .map_err(|e| AppError::internal(DbError::from_surreal(e)))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Ok(email) = build(state, &row).await else {
            continue;
        };
        out.push(DevEmail {
            id: row.id,
            to: email.to,
            subject: email.subject,
            status: row.status,
            error: row.last_error,
            queued: row.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        });
    }
    Ok(out)
}

/// One email's HTML as a mail client would show it, inline images as data URIs.
pub async fn dev_email_html(state: &AppState, id: &str) -> Result<Option<String>, DbError> {
    let sql = format!("SELECT {ROW_FIELDS} FROM type::record('outbox', $id)");
    let mut response = state.db.execute(&sql, vars![("id", id.to_owned())]).await?;
    let rows: Vec<OutboxRow> = response.take(0).map_err(DbError::from_surreal)?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let Ok(email) = build(state, &row).await else {
        return Ok(None);
    };
    Ok(Some(email.images.iter().fold(email.html, |html, image| {
        let data = base64::engine::general_purpose::STANDARD.encode(&image.png);
        html.replace(
            &format!("cid:{}", image.content_id),
            &format!("data:image/png;base64,{data}"),
        )
    })))
}
