//! Server functions, one file per feature. Thin: authorise, parse, call a service, map errors.
pub mod admin;
pub mod auth;
pub mod checkin;
pub mod dashboard;
pub mod events;
pub mod orders;
pub mod questions;
pub mod sales;
pub mod waitlist;

#[cfg(feature = "ssr")]
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth::guard, auth::session::CurrentUser, state::AppState};
#[cfg(feature = "ssr")]
use std::future::Future;

/// Every server function's prologue and epilogue: the app state in, the error's HTTP
/// status out.
#[cfg(feature = "ssr")]
pub(crate) async fn serve<T, F, Fut>(body: F) -> Result<T, AppError>
where
    F: FnOnce(AppState) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = match crate::server::state::use_app_state() {
        Ok(state) => body(state).await,
        Err(e) => Err(e),
    };
    with_status(result)
}

/// Who may call a server function.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy)]
pub(crate) enum Caller {
    /// Any signed-in user (401 otherwise).
    User,
    /// An organizer or admin (403 for other users).
    Organizer,
    Admin,
}

/// [`serve`] for a signed-in caller of the given kind.
#[cfg(feature = "ssr")]
pub(crate) async fn serve_as<T, F, Fut>(caller: Caller, body: F) -> Result<T, AppError>
where
    F: FnOnce(AppState, CurrentUser) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    serve(|state| async move {
        let user = match caller {
            Caller::User => guard::require_user(&state).await?,
            Caller::Organizer => guard::require_organizer(&state).await?,
            Caller::Admin => guard::require_admin(&state).await?,
        };
        body(state, user).await
    })
    .await
}

/// Gives a server function's error response the status its error means (422, 403...),
/// unless the function redirects instead, or the call is a form posted without JavaScript:
/// that one is sent back to its page with the error in the URL (a redirect, which an error
/// status would turn into a page of raw JSON).
#[cfg(feature = "ssr")]
fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let (Err(error), Some(response)) = (
        &result,
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let plain_form = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|request| {
                request
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|accept| accept.contains("text/html"))
            })
            .unwrap_or(false);
        let mut parts = response.0.write().unwrap_or_else(|e| e.into_inner());
        // The server-function client only follows a redirect on a non-error status.
        let redirects = plain_form || parts.headers.contains_key(http::header::LOCATION);
        if !redirects {
            parts.status = Some(error.status());
        }
        if let Some(secs) = error.retry_after() {
            parts
                .headers
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
    }
    result
}
