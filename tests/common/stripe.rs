//! A local Stripe double: imitates the parts of Stripe's REST API (v1) that the real
//! async-stripe client in TickEx calls: Checkout Sessions (create, retrieve, expire) and
//! Refunds (create), all form-encoded with an `Idempotency-Key` header, plus the hosted
//! Checkout page the buyer is redirected to. It records what it received for the tests, and
//! keeps Stripe's request contract (`contract`): a secret key, `Stripe-Version`, form
//! bodies, and idempotency keys bound to the request they were first used with.
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// A created session: its id, the form async-stripe sent, and the idempotency key.
pub type SentSession = (String, Vec<(String, String)>, Option<String>);

/// What the double has seen, and how it should answer.
#[derive(Default)]
pub struct StripeDouble {
    pub sessions: Vec<SentSession>,
    pub paid: std::collections::HashSet<String>,
    pub expired: Vec<String>,
    pub refunds: Vec<(String, Option<String>)>,
    pub fail_sessions: bool,
    /// How many of the next refunds fail with Stripe's 500 `api_error`.
    pub fail_refunds: u32,
    /// Idempotency keys seen: the request they came with and the answer given.
    idempotent: std::collections::HashMap<String, (String, StatusCode, axum::body::Bytes)>,
}

fn stripe_error(status: StatusCode, kind: &str, message: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        status,
        Json(json!({ "error": { "type": kind, "message": message } })),
    )
        .into_response()
}

/// The contract every request meets at Stripe before a handler runs: a secret key, a
/// pinned `Stripe-Version`, form-encoded POST bodies (an empty one needs no type), and
/// idempotency keys that replay the
/// first answer for the same request and refuse a different request (400
/// `idempotency_error`).
async fn contract(
    State(double): State<Double>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let headers = request.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if request.uri().path().starts_with("/c/") {
        return next.run(request).await;
    }
    if !header("authorization").is_some_and(|v| v.starts_with("Bearer sk_")) {
        return stripe_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "You did not provide an API key.",
        );
    }
    if header("stripe-version").is_none() {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "TickEx pins the API version: Stripe-Version is missing.",
        );
    }
    let has_body =
        header("content-length").is_some_and(|n| n != "0") || header("transfer-encoding").is_some();
    if request.method() == axum::http::Method::POST
        && has_body
        && !header("content-type")
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
    {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "Stripe accepts form-encoded request bodies only.",
        );
    }
    let Some(key) = header("idempotency-key") else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let fingerprint = format!(
        "{} {} {}",
        parts.method,
        parts.uri.path(),
        String::from_utf8_lossy(&body)
    );
    let seen = double.lock().unwrap().idempotent.get(&key).cloned();
    if let Some((first, status, answer)) = seen {
        if first != fingerprint {
            return stripe_error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            );
        }
        let mut replay = (status, answer).into_response();
        replay.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
        replay.headers_mut().insert(
            "content-type",
            axum::http::HeaderValue::from_static("application/json"),
        );
        return replay;
    }
    let response = next
        .run(axum::extract::Request::from_parts(
            parts,
            axum::body::Body::from(body),
        ))
        .await;
    let (parts, body) = response.into_parts();
    let answer = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    // Stripe (API v1) keeps the first answer for a key once the endpoint ran, even a 500:
    // a retry with the same key gets the same failure.
    double
        .lock()
        .unwrap()
        .idempotent
        .insert(key, (fingerprint, parts.status, answer.clone()));
    axum::response::Response::from_parts(parts, axum::body::Body::from(answer))
}

pub type Double = Arc<Mutex<StripeDouble>>;

async fn create(
    State(double): State<Double>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> (StatusCode, Json<serde_json::Value>) {
    let mut d = double.lock().unwrap();
    if d.fail_sessions {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"type": "api_error", "message": "boom"}})),
        );
    }
    let id = format!("cs_test_{}", d.sessions.len() + 1);
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap().to_owned());
    d.sessions.push((id.clone(), form, key));
    let host = headers["host"].to_str().unwrap().to_owned();
    (
        StatusCode::OK,
        Json(json!({
            "id": id, "object": "checkout.session", "payment_status": "unpaid",
            "url": format!("http://{host}/c/pay/{id}")
        })),
    )
}

async fn retrieve(State(double): State<Double>, Path(id): Path<String>) -> Json<serde_json::Value> {
    let paid = double.lock().unwrap().paid.contains(&id);
    Json(json!({
        "id": id, "object": "checkout.session",
        "payment_status": if paid { "paid" } else { "unpaid" },
        "payment_intent": if paid { Some(format!("pi_{id}")) } else { None },
    }))
}

async fn expire(State(double): State<Double>, Path(id): Path<String>) -> Json<serde_json::Value> {
    double.lock().unwrap().expired.push(id.clone());
    Json(json!({ "id": id, "object": "checkout.session", "payment_status": "unpaid" }))
}

async fn refund(
    State(double): State<Double>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let intent = form
        .iter()
        .find(|(k, _)| k == "payment_intent")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap().to_owned());
    let mut d = double.lock().unwrap();
    if d.fail_refunds > 0 {
        d.fail_refunds -= 1;
        return stripe_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "An unknown error occurred",
        );
    }
    if d.refunds.iter().any(|(refunded, _)| *refunded == intent) {
        return charge_already_refunded(&intent);
    }
    d.refunds.push((intent, key));
    Json(json!({ "id": "re_test_1", "object": "refund" })).into_response()
}

/// Stripe's answer to refunding a payment with nothing left to refund.
fn charge_already_refunded(intent: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": {
            "type": "invalid_request_error",
            "code": "charge_already_refunded",
            "message": format!("Charge ch_{intent} has already been refunded."),
        }})),
    )
        .into_response()
}

/// Where the buyer lands when the app redirects to "Stripe".
async fn pay_page(Path(id): Path<String>) -> String {
    format!("Stripe Checkout double: pay for {id}")
}

/// Serves the double on a free local port; returns its base URL (the `api_base` of
/// `StripeSettings`).
pub async fn spawn(double: Double) -> String {
    let router = Router::new()
        .route("/c/pay/{id}", get(pay_page))
        .route("/v1/checkout/sessions", post(create))
        .route("/v1/checkout/sessions/{id}", get(retrieve))
        .route("/v1/checkout/sessions/{id}/expire", post(expire))
        .route("/v1/refunds", post(refund))
        .layer(axum::middleware::from_fn_with_state(
            double.clone(),
            contract,
        ))
        .with_state(double);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}
