//! A local Google OpenID Connect provider double: imitates the parts of Google's OIDC
//! contract TickEx's openidconnect client uses: the discovery document
//! (`/.well-known/openid-configuration`), the JWKS with the RS256 signing key, and the token
//! endpoint of the authorization-code flow with PKCE. ID tokens are real RS256 JWTs.
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// The OAuth client id the provider issues ID tokens for (their `aud`).
pub const CLIENT_ID: &str = "tickex-test-client";

/// A local OpenID provider: discovery, JWKS and a token endpoint that answers with the
/// ID token the test prepared, but only for the expected code and a PKCE verifier.
pub struct Provider {
    /// The provider's base URL, also the `iss` of its tokens.
    pub issuer: String,
    /// The key whose public half the JWKS endpoint publishes.
    pub key: RsaPrivateKey,
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
    /// Serves the provider on a free local port.
    pub async fn start() -> Self {
        let key = RsaPrivateKey::from_pkcs1_pem(include_str!("../fixtures/oidc-test-key.pem"))
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

    /// An RS256 JWT of `claims` signed with `key` (kid `test-key`).
    pub fn id_token(&self, key: &RsaPrivateKey, claims: Value) -> String {
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

    /// ID token claims from this issuer for `CLIENT_ID`, valid for ten minutes.
    pub fn claims(&self, nonce: &str, sub: &str, email: &str, verified: bool) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer, "aud": CLIENT_ID, "sub": sub, "email": email,
            "email_verified": verified, "name": "Grace Hopper", "nonce": nonce,
            "iat": now, "exp": now + 600,
        })
    }

    /// The ID token the next code exchange answers with.
    pub async fn answer_token(&self, id_token: String) {
        *self.next_id_token.lock().unwrap() = Some(id_token);
    }
}
