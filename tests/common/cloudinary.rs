//! A local Cloudinary double: imitates Cloudinary's Upload API as TickEx calls it, signed
//! `POST /v1_1/{cloud}/image/upload` (multipart) and `POST /v1_1/{cloud}/image/destroy`
//! (form). It checks the API key and the SHA-1 signature per Cloudinary's signing rules, for
//! the cloud `demo-cloud` and the API key `key123`, and answers with a `secure_url` on
//! `res.cloudinary.com`.
use axum::extract::{Multipart, Path, State};
use axum::routing::post;
use axum::{Json, Router};
use sha1::{Digest, Sha1};
use std::sync::{Arc, Mutex};

/// The API secret the double checks signatures with; the app must be configured with it.
pub const SECRET: &str = "double-secret";

/// What the double has seen, and how it should answer.
#[derive(Default)]
pub struct CloudinaryDouble {
    /// Public id and file size of each stored upload.
    pub uploads: Vec<(String, usize)>,
    /// Public ids the app asked to destroy.
    pub destroyed: Vec<String>,
    /// Answer 500 to uploads whose public id ends in `-thumb`.
    pub fail_thumbnails: bool,
}

pub type Shared = Arc<Mutex<CloudinaryDouble>>;

fn signature(params: &[(String, String)]) -> String {
    let mut signed: Vec<_> = params
        .iter()
        .filter(|(k, _)| !["file", "api_key", "signature"].contains(&k.as_str()))
        .cloned()
        .collect();
    signed.sort();
    let joined = signed
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    Sha1::digest(format!("{joined}{SECRET}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn upload(
    State(double): State<Shared>,
    Path(cloud): Path<String>,
    mut form: Multipart,
) -> (axum::http::StatusCode, Json<serde_json::Value>) {
    let mut params = Vec::new();
    let mut file_len = 0;
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap().to_owned();
        if name == "file" {
            file_len = field.bytes().await.unwrap().len();
        } else {
            params.push((name, field.text().await.unwrap()));
        }
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(cloud, "demo-cloud");
    if let Err(refusal) = authenticated(&params) {
        return refusal;
    }
    let public_id = get("public_id").unwrap();
    let mut double = double.lock().unwrap();
    if double.fail_thumbnails && public_id.ends_with("-thumb") {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({})),
        );
    }
    double.uploads.push((public_id.clone(), file_len));
    let url =
        format!("https://res.cloudinary.com/demo-cloud/image/upload/v1/tickex/{public_id}.jpg");
    (
        axum::http::StatusCode::OK,
        Json(serde_json::json!({ "secure_url": url, "public_id": format!("tickex/{public_id}") })),
    )
}

async fn destroy(
    State(double): State<Shared>,
    axum::Form(params): axum::Form<Vec<(String, String)>>,
) -> (axum::http::StatusCode, Json<serde_json::Value>) {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if let Err(refusal) = authenticated(&params) {
        return refusal;
    }
    double
        .lock()
        .unwrap()
        .destroyed
        .push(get("public_id").unwrap());
    (
        axum::http::StatusCode::OK,
        Json(serde_json::json!({ "result": "ok" })),
    )
}

/// Cloudinary's checks of a signed call, with its answers: 401 for an unknown API key or a
/// signature that does not match the parameters, and a "Stale request" for a timestamp more
/// than an hour old.
fn authenticated(
    params: &[(String, String)],
) -> Result<(), (axum::http::StatusCode, Json<serde_json::Value>)> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let refuse = |message: String| {
        Err((
            axum::http::StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "error": { "message": message } })),
        ))
    };
    let key = get("api_key").unwrap_or_default();
    if key != "key123" {
        return refuse(format!("Invalid api_key {key}"));
    }
    let expected = signature(params);
    if get("signature").as_deref() != Some(expected.as_str()) {
        return refuse(format!(
            "Invalid Signature {}.",
            get("signature").unwrap_or_default()
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let stamp: i64 = get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    if now - stamp > 3600 {
        return refuse(format!("Stale request - reported time is {stamp}"));
    }
    Ok(())
}

/// TickEx says who it is on every request (`User-Agent: TickEx/<version>`); an anonymous
/// client is refused the way Cloudinary's edge refuses one it will not serve.
async fn identified(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let agent = request
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !agent.starts_with("TickEx/") {
        let body = serde_json::json!({ "error": { "message": "Missing or unknown User-Agent" } });
        return (axum::http::StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    next.run(request).await
}

/// Serves the double on a free local port; returns its base URL (the `api_base` of
/// `CloudinarySettings`).
pub async fn spawn(double: Shared) -> String {
    let router = Router::new()
        .route("/v1_1/{cloud}/image/upload", post(upload))
        .route("/v1_1/{cloud}/image/destroy", post(destroy))
        .layer(axum::middleware::from_fn(identified))
        .with_state(double);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}
