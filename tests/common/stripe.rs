//! A local Stripe double: imitates the parts of Stripe's REST API (v1) that the real
//! async-stripe client in TickEx calls: Checkout Sessions (create, retrieve, expire) and
//! Refunds (create), all form-encoded with an `Idempotency-Key` header, plus the hosted
//! Checkout page the buyer is redirected to. It records what it received for the tests.
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
) -> Json<serde_json::Value> {
    let intent = form
        .iter()
        .find(|(k, _)| k == "payment_intent")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap().to_owned());
    double.lock().unwrap().refunds.push((intent, key));
    Json(json!({ "id": "re_test_1", "object": "refund" }))
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
        .with_state(double);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}
