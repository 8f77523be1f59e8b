//! A local Resend double: imitates Resend's `POST /emails` endpoint (JSON body, bearer API
//! key, `Idempotency-Key` header) as TickEx's outbox calls it. It records every request and
//! answers with scripted statuses: 200 with an email id, 422 `validation_error`, or any other
//! status as an `internal_server_error`. A request without a `User-Agent` is refused with
//! 403 (error 1010), as Resend does.
use std::sync::{Arc, Mutex};

/// One request the double received: idempotency key, bearer token, JSON body.
pub type Received = (Option<String>, Option<String>, serde_json::Value);

/// What the double has seen, and how it should answer.
#[derive(Default)]
pub struct ResendDouble {
    pub received: Vec<Received>,
    /// Statuses to answer with, in order; 200 once they run out.
    pub script: Vec<u16>,
    /// Resend's team rate limit (5 a second by default): above it, 429 with `retry-after`.
    pub per_second: Option<usize>,
    /// Requests answered 429 for the rate limit.
    pub throttled: usize,
    accepted_at: std::collections::VecDeque<std::time::Instant>,
}

pub type Double = Arc<Mutex<ResendDouble>>;

/// Serves the double on a free local port; returns its base URL (the `api_base` of
/// `ResendSettings`).
pub async fn spawn(double: Double) -> String {
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::{extract::State, Json, Router};
    async fn emails(
        State(double): State<Double>,
        headers: HeaderMap,
        Json(body): Json<serde_json::Value>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        // Resend's API reference: "Requests without this header will be rejected with a 403
        // status code" (error code 1010), before anything else is looked at.
        if header("user-agent").is_none_or(|agent| agent.is_empty()) {
            return (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({ "error_code": 1010, "message": "error code: 1010" })),
            )
                .into_response();
        }
        let mut d = double.lock().unwrap();
        if let Some(limit) = d.per_second {
            let now = std::time::Instant::now();
            while d
                .accepted_at
                .front()
                .is_some_and(|at| now.duration_since(*at) >= std::time::Duration::from_secs(1))
            {
                d.accepted_at.pop_front();
            }
            if d.accepted_at.len() >= limit {
                d.throttled += 1;
                let body = serde_json::json!({
                    "name": "rate_limit_exceeded",
                    "message": "Too many requests. You can only make 5 requests per second.",
                });
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    Json(body),
                )
                    .into_response();
            }
            d.accepted_at.push_back(now);
        }
        d.received
            .push((header("idempotency-key"), header("authorization"), body));
        let status = if d.script.is_empty() {
            200
        } else {
            d.script.remove(0)
        };
        let reply = match status {
            200 => serde_json::json!({ "id": format!("email_{}", d.received.len()) }),
            422 => {
                serde_json::json!({ "name": "validation_error", "message": "Invalid `to` field." })
            }
            _ => serde_json::json!({ "name": "internal_server_error", "message": "try again" }),
        };
        (StatusCode::from_u16(status).unwrap(), Json(reply)).into_response()
    }
    let router = Router::new()
        .route("/emails", post(emails))
        .with_state(double);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// The signing secret of the delivery webhooks in tests (`whsec_` + base64 of the key).
pub const WEBHOOK_SECRET: &str = "whsec_dGlja2V4IHRlc3Qgd2ViaG9vayBrZXkgMzI=";

/// A Resend delivery webhook for the email Resend calls `email_id`: the signed headers to
/// send and the body.
pub fn delivery_event(kind: &str, email_id: &str, to: &str) -> (Vec<(String, String)>, String) {
    let body = serde_json::json!({
        "type": kind,
        "created_at": chrono::Utc::now().to_rfc3339(),
        "data": {
            "email_id": email_id, "to": [to], "subject": "Your tickets",
            "from": "TickEx <tickets@example.com>",
            "bounce": { "message": "550 5.1.1 The email account that you tried to reach does not exist.",
                        "type": "Permanent", "subType": "General" },
        }
    })
    .to_string();
    (signed(&body), body)
}

/// The headers Resend (Svix) sends with `body`, signed now with the test secret.
pub fn signed(body: &str) -> Vec<(String, String)> {
    let id = format!("msg_{}", tickex::server::db::new_id());
    let timestamp = chrono::Utc::now().timestamp();
    let signature = tickex::server::email::webhook::sign(&id, timestamp, body, WEBHOOK_SECRET);
    vec![
        ("svix-id".to_owned(), id),
        ("svix-timestamp".to_owned(), timestamp.to_string()),
        ("svix-signature".to_owned(), signature),
    ]
}

/// `settings` with Resend pointed at a fresh double.
pub async fn settings(
    double: Double,
    mut settings: tickex::server::config::Settings,
) -> tickex::server::config::Settings {
    settings.resend = Some(tickex::server::config::ResendSettings {
        api_key: "re_test_key".into(),
        api_base: spawn(double).await,
        webhook_secret: Some(WEBHOOK_SECRET.into()),
    });
    settings
}

/// The `token=` of the newest email with `subject` the double received.
pub fn newest_token(double: &Double, subject: &str) -> String {
    let d = double.lock().unwrap();
    let body = &d
        .received
        .iter()
        .rev()
        .find(|(_, _, body)| body["subject"] == subject)
        .unwrap_or_else(|| panic!("no email \"{subject}\" was sent"))
        .2;
    let text = body["text"].as_str().unwrap();
    text.split("token=").nth(1).unwrap()[..64].to_owned()
}
