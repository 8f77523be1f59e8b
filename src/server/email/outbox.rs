//! The outbox worker. Rows are written in the same transaction as what caused them; this
//! sends them after commit. A worker first claims a row with a guarded update (a lease), so
//! two workers or two app instances never send the same row; a worker that dies mid-send
//! loses its lease and another takes over with the same idempotency key, which the provider
//! uses to deliver once.
use super::notices;
use super::templates::{self, TicketEmail, TicketLine};
use super::{Email, SendError};
use crate::domain::{urlencode, DevEmail, Role, TicketStatus};
use crate::error::AppError;
use crate::server::auth::session::CurrentUser;
use crate::server::db::orders::OrderRepo;
use crate::server::db::outbox::{Delivery, DeliveryReport, OutboxRepo, OutboxRow};
use crate::server::db::DbError;
use crate::server::format::{format_when, money, place};
use crate::server::state::AppState;
use crate::server::throttle::retry_backoff;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};

const MAX_ATTEMPTS: i64 = 8;
const LEASE_SECS: i64 = 120;

/// The longest a `retry-after` may pause the worker; a longer one defers the row instead.
const MAX_PAUSE: std::time::Duration = std::time::Duration::from_secs(10);

/// How one row's turn ended.
enum Turn {
    Sent,
    NotSent,
    /// The provider asked us to wait this long before the next request.
    SlowDown(std::time::Duration),
}

/// Sends every row that is due, oldest due first, at most `email_rate_per_sec` a second
/// and pausing when the provider answers 429; returns how many were sent.
pub async fn run_once(state: &AppState, now: DateTime<Utc>) -> Result<usize, DbError> {
    let outbox = OutboxRepo(&state.db);
    let rate = state.settings.email_rate_per_sec.max(1) as f64;
    let gap = std::time::Duration::from_secs_f64(1.0 / rate);
    let mut last_request: Option<tokio::time::Instant> = None;
    let mut sent = 0;
    for id in outbox.due(now, 50).await? {
        if let Some(at) = last_request {
            tokio::time::sleep_until(at + gap).await;
        }
        let Some(row) = outbox
            .claim(&id, now, Duration::seconds(LEASE_SECS))
            .await?
        else {
            continue;
        };
        last_request = Some(tokio::time::Instant::now());
        match deliver(state, row, now).await? {
            Turn::Sent => sent += 1,
            Turn::NotSent => {}
            Turn::SlowDown(pause) => tokio::time::sleep(pause.min(MAX_PAUSE)).await,
        }
    }
    Ok(sent)
}

async fn deliver(state: &AppState, row: OutboxRow, now: DateTime<Utc>) -> Result<Turn, DbError> {
    let outcome = match build(state, &row).await {
        Ok(email) => state.mailer.send(&email, &row.key).await,
        Err(e) => Err(SendError::Permanent(format!("cannot build the email: {e}"))),
    };
    let delivery = match &outcome {
        Ok(provider_id) => Delivery::Sent {
            provider_id: provider_id.clone(),
            kept_here: !state.mailer.delivers(),
        },
        Err(SendError::Throttled(wait)) => Delivery::Deferred {
            next: now
                + Duration::from_std(wait.unwrap_or(std::time::Duration::from_secs(1)))
                    .unwrap_or(Duration::seconds(1)),
        },
        Err(SendError::Retryable(reason)) if row.attempts < MAX_ATTEMPTS => Delivery::Retry {
            next: now + retry_backoff(row.attempts),
            error: reason.clone(),
        },
        Err(SendError::Retryable(reason) | SendError::Permanent(reason)) => Delivery::Failed {
            error: reason.clone(),
        },
    };
    OutboxRepo(&state.db).finish(&row.id, delivery).await?;
    match outcome {
        Ok(_) => {
            tracing::info!(outbox = %row.id, key = %row.key, "email sent");
            Ok(Turn::Sent)
        }
        Err(SendError::Throttled(wait)) => {
            tracing::info!(outbox = %row.id, "the provider asked to slow down; the email waits its turn");
            Ok(Turn::SlowDown(
                wait.unwrap_or(std::time::Duration::from_secs(1)),
            ))
        }
        Err(e) => {
            tracing::warn!(outbox = %row.id, key = %row.key, attempts = row.attempts, error = %e, "email not sent");
            Ok(Turn::NotSent)
        }
    }
}

/// The email a row stands for, built from the records as they are now.
async fn build(state: &AppState, row: &OutboxRow) -> Result<Email, String> {
    match (row.kind.as_str(), &row.purchase) {
        ("tickets" | "ticket", Some(order)) => ticket_email(state, order, row).await,
        ("refund" | "event_cancelled" | "event_changed", Some(order)) => {
            notices::order_notice(state, &row.kind, order, &row.recipient, row.created_at).await
        }
        ("waitlist_offer", _) => notices::waitlist_offer(state, row).await,
        _ => match (&row.subject, &row.text_body) {
            (Some(subject), Some(text)) => Ok(Email {
                to: row.recipient.clone(),
                subject: subject.clone(),
                html: templates::text_as_html(text),
                text: text.clone(),
                attachments: Vec::new(),
            }),
            _ => Err(format!("unknown email kind {}", row.kind)),
        },
    }
}

/// An order's tickets to its buyer (with the order's link), or one ticket (`row.ticket`) to
/// its own holder.
async fn ticket_email(state: &AppState, order_id: &str, row: &OutboxRow) -> Result<Email, String> {
    let (order, event) = notices::order_and_event(state, order_id).await?;
    let tickets = OrderRepo(&state.db)
        .tickets_of_order(order_id)
        .await
        .map_err(|e| e.to_string())?;
    let amount = |minor: i64| {
        money(minor, &order.currency)
            .map(|m| m.to_string())
            .map_err(|e| e.to_string())
    };
    let one = row.ticket.as_deref();
    let lines = match one {
        Some(_) => Vec::new(),
        None => order
            .lines
            .iter()
            .map(|l| {
                Ok((
                    format!("{} × {}", l.quantity, l.name),
                    amount(l.unit_price_minor * l.quantity)?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?,
    };
    let calendar = notices::calendar_file(state, &event, row.created_at);
    // Each QR code carries the ticket's signed pass.
    let signer = crate::server::services::checkin::signer(state, &order.event)
        .await
        .map_err(|e| e.to_string())?;
    let mut greeted = order.buyer_name.clone();
    let mut lines_of_tickets = Vec::with_capacity(tickets.len());
    for t in tickets.into_iter().filter(|t| {
        t.status != TicketStatus::Void && one.is_none_or(|reference| reference == t.reference)
    }) {
        if one.is_some() {
            greeted = t.holder_name.clone();
        }
        let pass = signer.pass(&t.code, t.issue).map_err(|e| e.to_string())?;
        lines_of_tickets.push(TicketLine {
            reference: t.reference,
            type_name: t.type_name,
            code: pass,
        });
    }
    if lines_of_tickets.is_empty() {
        return Err("no valid ticket to send".into());
    }
    let base = &state.settings.public_base_url;
    let link = match (&row.link_key, one) {
        (Some(key), None) => format!("{base}/orders/{}?key={}", order.id, urlencode(key)),
        (None, None) => format!("{base}/tickets"),
        (Some(key), Some(reference)) => {
            format!(
                "{base}/tickets/{}?key={}",
                urlencode(reference),
                urlencode(key)
            )
        }
        (None, Some(_)) => format!("{base}/events/{}", event.slug),
    };
    let mut email = templates::ticket_email(&TicketEmail {
        to: row.recipient.clone(),
        buyer_name: greeted,
        place: place(&event.venue, &event.address, event.online_url.as_deref()),
        when: format_when(event.starts_at, &event.time_zone),
        event_title: event.title,
        online_url: event.online_url,
        order_reference: order.reference.clone(),
        total: one
            .is_none()
            .then(|| amount(order.total_minor))
            .transpose()?,
        lines,
        tickets: lines_of_tickets,
        my_tickets_url: link,
    });
    email.attachments.push(calendar);
    Ok(email)
}

/// Queues a plain-text email (the dev mailbox's password reset links).
pub async fn enqueue_text(state: &AppState, key: &str, email: &Email) -> Result<(), DbError> {
    OutboxRepo(&state.db)
        .enqueue_text(key, &email.to, &email.subject, &email.text)
        .await
}

/// The newest emails, as the dev mailbox lists them.
/// A user sees only the emails sent to them; an admin sees all.
pub async fn dev_mailbox(state: &AppState, user: &CurrentUser) -> Result<Vec<DevEmail>, AppError> {
    let recipient = (user.role != Role::Admin).then_some(user.email.as_str());
    let rows = OutboxRepo(&state.db)
        .latest(recipient, 30)
        .await
        .map_err(AppError::internal)?;
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
pub async fn dev_email_html(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Option<String>, DbError> {
    let Some(row) = OutboxRepo(&state.db).find(id).await? else {
        return Ok(None);
    };
    if user.role != Role::Admin && row.recipient != user.email {
        return Ok(None);
    }
    let Ok(email) = build(state, &row).await else {
        return Ok(None);
    };
    Ok(Some(email.attachments.iter().fold(
        email.html,
        |html, file| {
            let Some(id) = &file.content_id else {
                return html;
            };
            let data = base64::engine::general_purpose::STANDARD.encode(&file.content);
            html.replace(
                &format!("cid:{id}"),
                &format!("data:{};base64,{data}", file.content_type),
            )
        },
    )))
}

/// How many emails wait to be sent, for `/metrics`.
pub async fn backlog(db: &crate::server::db::Db) -> Result<u64, DbError> {
    let health = OutboxRepo(db).health().await?;
    Ok(u64::try_from(health.waiting).unwrap_or(0))
}

/// The outbox as an admin sees it: what waits, since when, what failed, and whether a
/// provider is there to send it at all.
pub async fn backlog_view(state: &AppState) -> Result<crate::domain::OutboxBacklog, DbError> {
    let health = OutboxRepo(&state.db).health().await?;
    Ok(crate::domain::OutboxBacklog {
        waiting: u64::try_from(health.waiting).unwrap_or(0),
        failed: u64::try_from(health.failed).unwrap_or(0),
        oldest_waiting: health
            .oldest_waiting
            .map(|at| at.format("%-d %b %Y, %H:%M UTC").to_string()),
        provider_configured: state.mailer.delivers(),
    })
}

/// A delivery report from the provider for the email it calls `provider_id`. An unknown id
/// (an email sent by another system on the same account) is ignored.
pub async fn record_delivery(
    state: &AppState,
    provider_id: &str,
    report: DeliveryReport,
    detail: Option<String>,
) -> Result<(), DbError> {
    let known = OutboxRepo(&state.db)
        .record_delivery(provider_id, report, detail)
        .await?;
    if known {
        tracing::info!(
            provider_id,
            report = report.as_str(),
            "email delivery reported"
        );
    } else {
        tracing::debug!(
            provider_id,
            "a delivery report for an email TickEx did not send"
        );
    }
    Ok(())
}
