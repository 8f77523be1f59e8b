//! Stripe events, from the payments inbox to the order they concern. The webhook stores
//! each verified event before it is processed (`WebhookRepo::receive`); processing records
//! its outcome, so a failure stays visible to admins and can be processed again from the
//! stored body (`replay`), while a repeat delivery of a processed event is a no-op.
use super::payment::{
    partly_refunded_at_provider, refunded_at_provider, session_ended, session_paid,
};
use super::refunds::Release;
use super::{OrderError, SessionReport};
use crate::domain::{PaymentEventRow, PaymentEventStatus, ReplayOutcome};
use crate::error::AppError;
use crate::server::db::webhooks::{StoredEvent, WebhookRepo};
use crate::server::payments::is_paid;
use crate::server::state::AppState;
use serde::Deserialize;

/// The parts of a Stripe event TickEx reads.
#[derive(Debug, Deserialize)]
pub struct StripeEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: EventObject,
}

/// The fields TickEx reads from a Checkout Session or a Charge.
#[derive(Debug, Deserialize)]
struct EventObject {
    id: Option<String>,
    client_reference_id: Option<String>,
    payment_status: Option<String>,
    payment_intent: Option<String>,
    /// Charge: true once the whole amount is refunded.
    refunded: Option<bool>,
    /// Charge: everything refunded so far, in minor units.
    amount_refunded: Option<i64>,
    amount_total: Option<i64>,
    currency: Option<String>,
}

impl StripeEvent {
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }
}

/// What became of a delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    Processed,
    /// Processed before: nothing was done again.
    Duplicate,
}

/// Stores a verified delivery in the inbox, then processes it unless it was processed
/// before. An error means the event stays in the inbox as failed (or unfinished).
pub async fn receive_stripe_event(
    state: &AppState,
    event: &StripeEvent,
    body: &str,
) -> Result<Delivery, OrderError> {
    let status = WebhookRepo(&state.db)
        .receive(&event.id, &event.kind, body)
        .await?;
    if status == PaymentEventStatus::Processed {
        return Ok(Delivery::Duplicate);
    }
    process(state, event).await?;
    Ok(Delivery::Processed)
}

/// Processes a stored event again (the admin's "Process again", `tickex payments
/// replay`). One already processed is left alone.
pub async fn replay_stripe_event(
    state: &AppState,
    event_id: &str,
) -> Result<ReplayOutcome, AppError> {
    let stored = WebhookRepo(&state.db)
        .find(event_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("payment event".into()))?;
    if stored.status == PaymentEventStatus::Processed {
        return Ok(ReplayOutcome::AlreadyProcessed);
    }
    let Some(event) = stored
        .body
        .as_deref()
        .and_then(|b| StripeEvent::parse(b.as_bytes()))
    else {
        return Err(AppError::Validation(
            "This event has no stored body to process; Stripe's dashboard can resend it.".into(),
        ));
    };
    match process(state, &event).await {
        Ok(()) => Ok(ReplayOutcome::Processed),
        Err(e) => Err(AppError::Validation(format!(
            "Processing failed again: {}",
            failure_text(&e)
        ))),
    }
}

/// The inbox's failed and unfinished events, newest first, as the admin page lists them.
pub async fn unsettled_stripe_events(state: &AppState) -> Result<Vec<PaymentEventRow>, AppError> {
    let rows = WebhookRepo(&state.db)
        .unsettled(200)
        .await
        .map_err(AppError::internal)?;
    Ok(rows.into_iter().map(row_view).collect())
}

fn row_view(row: StoredEvent) -> PaymentEventRow {
    PaymentEventRow {
        id: row.id,
        kind: row.kind,
        status: row.status,
        received: row
            .received_at
            .map(|at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default(),
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        last_error: row.last_error,
    }
}

/// One processing attempt, with its outcome written to the inbox.
async fn process(state: &AppState, event: &StripeEvent) -> Result<(), OrderError> {
    let outcome = handle(state, event).await;
    let recorded = match &outcome {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "payment event processing failed");
            Err(failure_text(e))
        }
    };
    WebhookRepo(&state.db).finish(&event.id, recorded).await?;
    outcome
}

/// What the admin reads about a failure: the provider's answer is theirs to see; a
/// database failure is logged in full under a reference instead.
fn failure_text(error: &OrderError) -> String {
    match error {
        OrderError::Payment(p) => p.to_string(),
        OrderError::NotFound(_) => error.to_string(),
        OrderError::Db(_) => match AppError::internal(error) {
            AppError::Internal(reference) => format!("database error (log reference {reference})"),
            other => other.to_string(),
        },
    }
}

async fn handle(state: &AppState, event: &StripeEvent) -> Result<(), OrderError> {
    let object = &event.data.object;
    let report = object
        .client_reference_id
        .as_deref()
        .map(|order_id| SessionReport {
            order_id,
            session_id: object.id.as_deref(),
            amount_total: object.amount_total,
            currency: object.currency.as_deref(),
            payment_status: object.payment_status.as_deref(),
        });
    let actor = format!("stripe:{}", event.id);
    match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            match (report, is_paid(object.payment_status.as_deref())) {
                (Some(report), true) => {
                    session_paid(state, report, object.payment_intent.clone(), &actor).await
                }
                // Paid later (bank debits): the async_payment events follow.
                _ => Ok(()),
            }
        }
        "checkout.session.async_payment_failed" => match report {
            Some(report) => session_ended(state, report, Release::PaymentFailed, &actor).await,
            None => Ok(()),
        },
        "checkout.session.expired" => match report {
            Some(report) => session_ended(state, report, Release::Expired, &actor).await,
            None => Ok(()),
        },
        "charge.refunded" => match (
            &object.payment_intent,
            object.refunded,
            object.amount_refunded,
        ) {
            (Some(payment), Some(true), _) => refunded_at_provider(state, payment, &actor).await,
            (Some(payment), _, Some(amount)) if amount > 0 => {
                let currency = object.currency.as_deref().unwrap_or_default();
                partly_refunded_at_provider(state, payment, amount, currency, &actor).await
            }
            _ => Ok(()),
        },
        other => {
            tracing::debug!(kind = other, id = ?object.id, "ignored Stripe event");
            Ok(())
        }
    }
}
