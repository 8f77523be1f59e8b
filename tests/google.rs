//! Google sign-in against a local OpenID Connect double that signs real RS256 ID tokens.
mod common;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{spawn_with, test_settings, TestApp, Visitor};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tickex::api::auth::RegisterUser;
use tickex::server::config::GoogleSettings;

const CLIENT_ID: &str = "tickex-test-client";

/// A local OpenID provider: discovery, JWKS and a token endpoint that answers with the
/// ID token the test prepared, but only for the expected code and a PKCE verifier.
struct Provider {
    issuer: String,
    key: RsaPrivateKey,
    next_id_token: Arc<Mutex<Option<String>>>,
}

#[derive(Clone)]
struct ProviderState {
    issuer: String,
    jwks: Value,
    next_id_token: Arc<Mutex<Option<String>>>,
}

async fn discovery(State(state): State<ProviderState>) -> Json<Value> {
    let issuer = &state.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn token(
    State(state): State<ProviderState>,
    body: String,
) -> Result<Json<Value>, axum::http::StatusCode> {
    if !body.contains("code=the-code") || !body.contains("code_verifier=") {
        return Err(axum::http::StatusCode::BAD_REQUEST);
    }
    let id_token = state.next_id_token.lock().unwrap().take();
    let id_token = id_token.ok_or(axum::http::StatusCode::BAD_REQUEST)?;
    Ok(Json(json!({
        "access_token": "access", "token_type": "Bearer", "expires_in": 3600,
        "id_token": id_token,
    })))
}

impl Provider {
    async fn start() -> Self {
        let key = RsaPrivateKey::from_pkcs1_pem(include_str!("fixtures/oidc-test-key.pem"))
            .expect("test key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let public = key.to_public_key();
        let next_id_token = Arc::new(Mutex::new(None));
        let state = ProviderState {
            issuer: issuer.clone(),
            jwks: json!({
                "keys": [{
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "test-key",
                    "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                    "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
                }]
            }),
            next_id_token: next_id_token.clone(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route(
                "/jwks",
                get(|State(s): State<ProviderState>| async move { Json(s.jwks) }),
            )
            .route("/token", post(token))
            .with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Provider {
            issuer,
            key,
            next_id_token,
        }
    }

    fn settings(&self) -> tickex::server::config::Settings {
        let mut settings = test_settings();
        settings.google = Some(GoogleSettings {
            client_id: CLIENT_ID.into(),
            client_secret: "test-secret".into(),
            issuer_url: self.issuer.clone(),
        });
        settings
    }

    fn id_token(&self, key: &RsaPrivateKey, claims: Value) -> String {
        let header = URL_SAFE_NO_PAD
            .encode(json!({"alg": "RS256", "kid": "test-key", "typ": "JWT"}).to_string());
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{body}");
        let signature = SigningKey::<sha2::Sha256>::new(key.clone()).sign(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }

    fn claims(&self, nonce: &str, sub: &str, email: &str, verified: bool) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer, "aud": CLIENT_ID, "sub": sub, "email": email,
            "email_verified": verified, "name": "Grace Hopper", "nonce": nonce,
            "iat": now, "exp": now + 600,
        })
    }

    /// The ID token the next code exchange answers with.
    async fn answer_token(&self, id_token: String) {
        *self.next_id_token.lock().unwrap() = Some(id_token);
    }
}

/// Follows `/auth/google/start` and returns the `state` and `nonce` sent to the provider.
async fn begin(app: &TestApp, next: &str) -> (String, String) {
    let response = app.get(&format!("/auth/google/start?next={next}")).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse(&location).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{name} missing from {location}"))
    };
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(!param("code_challenge").is_empty());
    (param("state"), param("nonce"))
}

async fn callback<'a>(app: &'a TestApp, state: &str) -> (reqwest::Response, Visitor<'a>) {
    let response = app
        .get(&format!(
            "/auth/google/callback?code=the-code&state={state}"
        ))
        .await;
    let mut visitor = app.visitor();
    if let Some(cookie) = response.headers().get("set-cookie") {
        visitor.cookie = Some(
            cookie
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    (response, visitor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_google_sign_in_creates_a_customer_and_returns_to_next() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;
    let login = app.get("/login").await.text().await.unwrap();
    assert!(login.contains("Continue with Google"));

    let (state, nonce) = begin(&app, "/account").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims(&nonce, "google-sub-1", "Grace@Example.com", true),
        ))
        .await;
    let (response, mut visitor) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/account");
    let user = visitor.me().await.expect("signed in");
    assert_eq!(user.email, "grace@example.com");
    assert_eq!(user.name, "Grace Hopper");
    assert_eq!(user.role, tickex::domain::Role::Customer);

    // The state is single use.
    let (replay, replay_visitor) = callback(&app, &state).await;
    assert_eq!(replay.headers()["location"], "/login?error=google");
    assert!(replay_visitor.cookie.is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_google_email_signs_into_the_existing_account() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;
    let mut owner = app.visitor();
    owner
        .call::<RegisterUser>(&[
            ("name", "Existing Owner"),
            ("email", "owner@example.com"),
            ("password", "correct horse battery"),
            ("organizer", "on"),
        ])
        .await;

    let (state, nonce) = begin(&app, "/").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims(&nonce, "google-sub-2", "owner@example.com", true),
        ))
        .await;
    let (_, mut visitor) = callback(&app, &state).await;
    let user = visitor.me().await.expect("signed in");
    assert_eq!(user.name, "Existing Owner", "same account, not a new one");
    assert_eq!(user.role, tickex::domain::Role::Organizer);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_unverified_tokens_are_refused() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;

    // Signed by a key the provider never published.
    let (state, nonce) = begin(&app, "/").await;
    let stranger =
        RsaPrivateKey::from_pkcs1_pem(include_str!("fixtures/oidc-stranger-key.pem")).unwrap();
    provider
        .answer_token(provider.id_token(
            &stranger,
            provider.claims(&nonce, "sub-3", "x@example.com", true),
        ))
        .await;
    let (response, visitor) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/login?error=google");
    assert!(visitor.cookie.is_none());

    // Right key, wrong nonce.
    let (state, _) = begin(&app, "/").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims("another-nonce", "sub-3", "x@example.com", true),
        ))
        .await;
    let (response, _) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/login?error=google");

    // Unverified email.
    let (state, nonce) = begin(&app, "/").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims(&nonce, "sub-4", "y@example.com", false),
        ))
        .await;
    let (response, _) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/login?error=google");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_google_button_is_hidden_when_not_configured() {
    let app = common::spawn_app().await;
    let login = app.get("/login").await.text().await.unwrap();
    assert!(!login.contains("Continue with Google"));
    assert_eq!(app.get("/auth/google/start").await.status(), 404);
    app.stop().await;
}
