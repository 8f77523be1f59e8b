//! `POST /api/webhooks/resend`: Resend's delivery webhooks (`email.delivered`,
//! `email.bounced`, `email.complained`), signed by the Standard Webhooks (Svix) scheme. The
//! signature is checked over the raw body first; the report then updates the email's
//! outbox row, so the organizer sees delivered / bounced next to the order.
use crate::server::config::signing_key;
use crate::server::db::outbox::DeliveryReport;
use crate::server::email::outbox::record_delivery;
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

pub const PATH: &str = "/api/webhooks/resend";
/// The Standard Webhooks tolerance for the signed timestamp, both ways.
const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing svix-id, svix-timestamp or svix-signature")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks `svix-signature: v1,<base64> [v1,<base64> ...]` over `<id>.<timestamp>.<body>`
/// with the key inside `secret` (`whsec_<base64>`).
pub fn verify(
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let key = signing_key(secret).ok_or(SignatureError::Mismatch)?;
    let timestamp: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    if id.is_empty() || signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let matches = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        // Constant-time comparison.
        .any(|expected| {
            mac(&key, id, timestamp, body)
                .verify_slice(&expected)
                .is_ok()
        });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `svix-signature` header Resend would send (tests and tools).
pub fn sign(id: &str, timestamp: i64, body: &str, secret: &str) -> String {
    let key = signing_key(secret).unwrap_or_default();
    let digest = mac(&key, id, timestamp, body.as_bytes())
        .finalize()
        .into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: EventData,
}

/// Other event types (contacts, domains) carry other data: nothing here is required, so a
/// signed event TickEx does not handle is still acknowledged (Svix disables an endpoint
/// that keeps failing).
#[derive(Deserialize, Default)]
struct EventData {
    email_id: Option<String>,
    bounce: Option<Bounce>,
}

#[derive(Deserialize)]
struct Bounce {
    message: Option<String>,
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(secret) = state
        .settings
        .resend
        .as_ref()
        .and_then(|r| r.webhook_secret.as_deref())
    else {
        return StatusCode::NOT_FOUND;
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    if let Err(e) = verify(
        header("svix-id"),
        header("svix-timestamp"),
        header("svix-signature"),
        &body,
        secret,
        chrono::Utc::now().timestamp(),
    ) {
        tracing::warn!(error = %e, "rejected a Resend webhook");
        return StatusCode::BAD_REQUEST;
    }
    let Ok(event) = serde_json::from_slice::<Event>(&body) else {
        tracing::warn!("a signed Resend webhook was not an email event");
        return StatusCode::BAD_REQUEST;
    };
    let report = match event.kind.as_str() {
        "email.delivered" => DeliveryReport::Delivered,
        "email.bounced" => DeliveryReport::Bounced,
        "email.complained" => DeliveryReport::Complained,
        // Other events (sent, opened, contacts, domains) change nothing here.
        _ => return StatusCode::OK,
    };
    let Some(email_id) = event.data.email_id else {
        tracing::warn!(kind = %event.kind, "a delivery report without an email id");
        return StatusCode::OK;
    };
    let detail = event.data.bounce.and_then(|b| b.message);
    match record_delivery(&state, &email_id, report, detail).await {
        Ok(()) => StatusCode::OK,
        // Resend delivers again later.
        Err(e) => {
            tracing::error!(error = %e, "recording an email delivery report failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn a_signed_body_verifies_and_any_change_does_not() {
        let body = r#"{"type":"email.bounced"}"#;
        let header = sign("msg_1", 1_000, body, SECRET);
        assert_eq!(
            verify("msg_1", "1000", &header, body.as_bytes(), SECRET, 1_100),
            Ok(())
        );
        let both = format!("v1,AAAA {header}");
        assert_eq!(
            verify("msg_1", "1000", &both, body.as_bytes(), SECRET, 1_000),
            Ok(())
        );
        assert_eq!(
            verify("msg_2", "1000", &header, body.as_bytes(), SECRET, 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("msg_1", "1000", &header, b"{}", SECRET, 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                "msg_1",
                "1000",
                &header,
                body.as_bytes(),
                "whsec_b3RoZXI=",
                1_000
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("msg_1", "1000", &header, body.as_bytes(), SECRET, 1_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("msg_1", "", &header, body.as_bytes(), SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("", "1000", &header, body.as_bytes(), SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
    }
}
