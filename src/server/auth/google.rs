//! "Continue with Google": OpenID Connect authorization code flow with PKCE, nonce and
//! state. The ID token is verified against the issuer's JWKS by `openidconnect`. Only
//! active when a client id and secret are configured; the issuer URL is a setting so tests
//! use a local double.
use super::session;
use crate::domain::safe_next;
use crate::server::db::oidc::{OidcRepo, PendingLogin};
use crate::server::db::{DbError, NewUser, UserRepo};
use crate::server::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;

pub const START_PATH: &str = "/auth/google/start";
pub const CALLBACK_PATH: &str = "/auth/google/callback";

#[derive(Debug, thiserror::Error)]
enum GoogleError {
    #[error("google sign-in is not configured")]
    NotConfigured,
    #[error("discovery failed: {0}")]
    Discovery(String),
    #[error("unknown or expired state")]
    State,
    #[error("token exchange failed: {0}")]
    Exchange(String),
    #[error("id token rejected: {0}")]
    IdToken(String),
    #[error("the Google account has no verified email")]
    NoVerifiedEmail,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn http_client() -> Result<openidconnect::reqwest::Client, GoogleError> {
    // No redirects: following them would open the token exchange to SSRF.
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .user_agent(crate::server::config::USER_AGENT)
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| GoogleError::Discovery(e.to_string()))
}

async fn client(
    state: &AppState,
) -> Result<
    (
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        openidconnect::reqwest::Client,
    ),
    GoogleError,
> {
    let google = state
        .settings
        .google
        .as_ref()
        .ok_or(GoogleError::NotConfigured)?;
    let http = http_client()?;
    let issuer = IssuerUrl::new(google.issuer_url.clone())
        .map_err(|e| GoogleError::Discovery(e.to_string()))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .map_err(|e| GoogleError::Discovery(e.to_string()))?;
    let redirect = RedirectUrl::new(format!("{}{CALLBACK_PATH}", state.settings.public_base_url))
        .map_err(|e| GoogleError::Discovery(e.to_string()))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(google.client_id.clone()),
        Some(ClientSecret::new(google.client_secret.clone())),
    )
    .set_redirect_uri(redirect);
    Ok((client, http))
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// Sends the browser to Google with a fresh state, nonce and PKCE challenge.
pub async fn start(State(state): State<AppState>, Query(query): Query<StartQuery>) -> Response {
    match begin(&state, query.next.as_deref()).await {
        Ok((url, csrf)) => {
            let mut response = Redirect::to(&url).into_response();
            set_cookie(&mut response, &state_cookie(&state, Some(&csrf)));
            response
        }
        Err(error) => failed(error),
    }
}

/// The browser that started a sign-in keeps its `state` in a short-lived cookie; the
/// callback must come back to that browser (no login CSRF with someone else's `state`).
const STATE_COOKIE: &str = "tickex_oidc";

fn state_cookie(state: &AppState, value: Option<&str>) -> String {
    let secure = if state.settings.is_https() {
        "; Secure"
    } else {
        ""
    };
    let (value, age) = value.map_or(("", 0), |v| (v, 600));
    format!("{STATE_COOKIE}={value}; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age={age}{secure}")
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

async fn begin(state: &AppState, next: Option<&str>) -> Result<(String, String), GoogleError> {
    let (client, _) = client(state).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    OidcRepo(&state.db)
        .begin(
            csrf.secret(),
            PendingLogin {
                pkce_verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                next: safe_next(next),
            },
            Utc::now() + Duration::minutes(10),
        )
        .await?;
    Ok((url.to_string(), csrf.secret().clone()))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

/// Google sends the browser back here with a code; we sign the user in.
pub async fn callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    if query.state.is_none() || cookie_value(&headers, STATE_COOKIE) != query.state.as_deref() {
        let mut response = failed(GoogleError::State);
        set_cookie(&mut response, &state_cookie(&state, None));
        return response;
    }
    match finish(&state, query).await {
        Ok((token, next)) => {
            let mut response = Redirect::to(&next).into_response();
            if let Ok(value) =
                HeaderValue::from_str(&session::cookie(&state.settings, Some(&token)))
            {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            set_cookie(&mut response, &state_cookie(&state, None));
            response
        }
        Err(error) => failed(error),
    }
}

async fn finish(state: &AppState, query: CallbackQuery) -> Result<(String, String), GoogleError> {
    let (Some(code), Some(csrf)) = (query.code, query.state) else {
        return Err(GoogleError::State);
    };
    // Single use: the pending login is deleted as it is read.
    let pending = OidcRepo(&state.db)
        .take(&csrf)
        .await?
        .ok_or(GoogleError::State)?;

    let (client, http) = client(state).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| GoogleError::Exchange(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
        .request_async(&http)
        .await
        .map_err(|e| GoogleError::Exchange(e.to_string()))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| GoogleError::IdToken("no id_token in the response".into()))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
        .map_err(|e| GoogleError::IdToken(e.to_string()))?;

    let subject = claims.subject().to_string();
    let verified = claims.email_verified().unwrap_or(false);
    let email = claims
        .email()
        .map(|e| e.to_string())
        .filter(|_| verified)
        .and_then(|e| crate::domain::Email::parse(&e).ok())
        .ok_or(GoogleError::NoVerifiedEmail)?;
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.to_string())
        .and_then(|n| crate::domain::parse_display_name(&n).ok())
        .unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("Guest")
                .to_owned()
        });

    let user_id = find_or_create_user(state, &subject, &email, name).await?;
    let token = session::start(&state.db, &state.settings, &user_id).await?;
    tracing::info!(user = %user_id, "signed in with Google");
    Ok((token, pending.next))
}

/// The account for this Google subject: linked before, or matched by email, or a new
/// customer account (verified: Google vouched for the address).
async fn find_or_create_user(
    state: &AppState,
    subject: &str,
    email: &crate::domain::Email,
    name: String,
) -> Result<String, GoogleError> {
    let users = UserRepo(&state.db);
    if let Some(id) = users.find_by_google_sub(subject).await? {
        return Ok(id);
    }
    if let Some(existing) = users.find_by_email(email.as_str()).await? {
        return claim(&users, &existing.id, existing.email_verified, subject).await;
    }
    let created = users
        .create(NewUser {
            name,
            email: email.as_str().to_owned(),
            password_hash: None,
            role: "customer",
            email_verified: true,
        })
        .await;
    match created {
        Ok(id) => {
            users.link_google(&id, subject).await?;
            tracing::info!(user = %id, "account created with Google");
            Ok(id)
        }
        // Registered a moment ago (by a concurrent callback, or by password): the same rules.
        Err(DbError::Duplicate(_)) => match users.find_by_email(email.as_str()).await? {
            Some(existing) => claim(&users, &existing.id, existing.email_verified, subject).await,
            None => Err(GoogleError::State),
        },
        Err(e) => Err(e.into()),
    }
}

/// Google proves who owns the address. A verified account is simply linked; an unverified
/// one may have been registered by someone else first (pre-hijacking), so the owner takes
/// it and every earlier password, session and link stops working.
async fn claim(
    users: &UserRepo<'_>,
    user_id: &str,
    verified: bool,
    subject: &str,
) -> Result<String, GoogleError> {
    if verified {
        users.link_google(user_id, subject).await?;
    } else {
        users.take_over_with_google(user_id, subject).await?;
        tracing::warn!(user = %user_id, "unverified account taken over by the Google owner of its address; earlier password and sessions ended");
    }
    Ok(user_id.to_owned())
}

fn failed(error: GoogleError) -> Response {
    match error {
        GoogleError::NotConfigured => StatusCode::NOT_FOUND.into_response(),
        other => {
            tracing::warn!(error = %other, "Google sign-in failed");
            Redirect::to("/login?error=google").into_response()
        }
    }
}
