//! Server functions, one file per feature. Thin: authorise, parse, call a service, map errors.
pub mod admin;
pub mod auth;
pub mod dashboard;
pub mod events;
pub mod orders;

/// Gives a server function's error response the status its error means (422, 403...),
/// unless the function redirects instead.
#[cfg(feature = "ssr")]
pub(crate) fn with_status<T>(
    result: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    if let (Err(error), Some(response)) = (
        &result,
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let mut parts = response.0.write().unwrap_or_else(|e| e.into_inner());
        // The server-function client only follows a redirect on a non-error status.
        let redirects = parts.headers.contains_key(http::header::LOCATION);
        if !redirects {
            parts.status = Some(error.status());
        }
    }
    result
}
