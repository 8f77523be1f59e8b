//! `POST /api/webhooks/stripe`: the signature is checked over the raw body before anything
//! is parsed; the event then goes into the payments inbox and is processed
//! (`services::orders::receive_stripe_event`). A repeat of a processed event is a no-op; a
//! failure answers 500 so Stripe delivers again, and stays in the inbox for admins.
use crate::server::services::orders::{self, StripeEvent};
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tracing::Instrument;

pub const PATH: &str = "/api/webhooks/stripe";
/// Stripe's default tolerance for the signed timestamp.
const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing or malformed Stripe-Signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// Checks `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` against the raw body.
pub fn verify(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let matches = signatures.iter().any(|candidate| {
        let Some(expected) = decode_hex(candidate) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // Constant-time comparison.
        mac.verify_slice(&expected).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The signature header Stripe would send for `body` (used by tests and the load tool).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(stripe) = &state.settings.stripe else {
        return StatusCode::NOT_FOUND;
    };
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Err(e) = verify(
        header,
        &body,
        &stripe.webhook_secret,
        chrono::Utc::now().timestamp(),
    ) {
        tracing::warn!(error = %e, "rejected a Stripe webhook");
        state.metrics.webhook("unverified", "rejected");
        return StatusCode::BAD_REQUEST;
    }
    let (Some(event), Ok(text)) = (StripeEvent::parse(&body), std::str::from_utf8(&body)) else {
        tracing::warn!("a signed Stripe webhook was not an event");
        state.metrics.webhook("unparsable", "rejected");
        return StatusCode::BAD_REQUEST;
    };
    let span = tracing::info_span!("stripe_webhook", event = %event.id, kind = %event.kind);
    let outcome = orders::receive_stripe_event(&state, &event, text)
        .instrument(span)
        .await;
    let (status, label) = match outcome {
        Ok(orders::Delivery::Processed) => (StatusCode::OK, "processed"),
        Ok(orders::Delivery::Duplicate) => (StatusCode::OK, "duplicate"),
        // Kept in the inbox as failed; Stripe delivers again, an admin can process it again.
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "failed"),
    };
    state.metrics.webhook(&event.kind, label);
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signed_body_verifies_and_any_change_does_not() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, SECRET, 1_000);
        assert_eq!(verify(&header, body, SECRET, 1_100), Ok(()));
        assert_eq!(
            verify(&header, br#"{"id":"evt_2"}"#, SECRET, 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, body, "whsec_other", 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, body, SECRET, 1_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("", body, SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("t=1000", body, SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        let body = b"{}";
        let good = sign(body, SECRET, 50);
        let v1 = good.split("v1=").nth(1).unwrap();
        let header = format!("t=50,v1={},v0=abc,v1={v1}", "00".repeat(32));
        assert_eq!(verify(&header, body, SECRET, 50), Ok(()));
        let odd = "t=50,v1=zz";
        assert_eq!(verify(odd, body, SECRET, 50), Err(SignatureError::Mismatch));
    }
}
