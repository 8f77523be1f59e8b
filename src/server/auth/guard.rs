//! Who is calling: read inside server functions and server renders. Every server function
//! that needs a user checks it here itself; a page guard is only a convenience.
use super::session::{self, CurrentUser};
use crate::domain::Role;
use crate::error::AppError;
use crate::server::state::AppState;
use leptos::prelude::use_context;

/// The signed-in user of the current request, if any.
pub async fn current_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    match use_context::<http::request::Parts>() {
        Some(parts) => user_from_headers(state, &parts.headers).await,
        None => Ok(None),
    }
}

/// The user whose session cookie these request headers carry (for plain axum handlers).
pub async fn user_from_headers(
    state: &AppState,
    headers: &http::HeaderMap,
) -> Result<Option<CurrentUser>, AppError> {
    let token = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(session::token_from_cookies);
    match token {
        Some(token) => session::resolve(&state.db, &state.settings, token)
            .await
            .map_err(AppError::internal),
        None => Ok(None),
    }
}

pub async fn require_user(state: &AppState) -> Result<CurrentUser, AppError> {
    current_user(state).await?.ok_or(AppError::Unauthenticated)
}

/// Organizers and admins only.
pub async fn require_organizer(state: &AppState) -> Result<CurrentUser, AppError> {
    let user = require_user(state).await?;
    if user.role.can_organize() {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Sets or clears the session cookie on the response being built.
pub fn set_session_cookie(state: &AppState, token: Option<&str>) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&session::cookie(&state.settings, token)),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

pub async fn require_admin(state: &AppState) -> Result<CurrentUser, AppError> {
    let user = require_user(state).await?;
    if user.role == crate::domain::Role::Admin {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The client's address, for rate limits: the socket peer, or what a trusted proxy says
/// ("unknown" outside a request).
pub fn client_address(state: &AppState) -> String {
    use_context::<http::request::Parts>()
        .map(|parts| address_of(state, &parts.extensions, &parts.headers))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// [`client_address`] of a request's extensions and headers.
pub fn address_of(
    state: &AppState,
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
) -> String {
    let Some(peer) = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
    else {
        return "unknown".to_owned();
    };
    // Several header lines are one list, in order.
    let forwarded_for: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let chain = (!forwarded_for.is_empty()).then(|| forwarded_for.join(","));
    crate::server::request_guard::client_ip(peer, chain.as_deref(), &state.settings.trusted_proxies)
        .to_string()
}

/// Takes one attempt from each limit; over any, `TooManyRequests` with the wait.
pub fn throttle(
    state: &AppState,
    attempts: &[(&crate::server::throttle::Limiter, &str)],
) -> Result<(), AppError> {
    state.throttles.check(attempts).map_err(|wait| {
        tracing::warn!(wait_secs = wait.as_secs() + 1, "rate limit reached");
        AppError::TooManyRequests(wait.as_secs() + 1)
    })
}

/// An organizer manages their own events; an admin manages all.
pub fn may_manage(user: &CurrentUser, organizer_id: &str) -> bool {
    user.role == Role::Admin || (user.role.can_organize() && user.id == organizer_id)
}
