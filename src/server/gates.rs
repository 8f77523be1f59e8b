//! Answers given before a handler runs, where running it would already cost too much: an
//! upload from someone who may not upload, a sign-in from an address over its limit.
use crate::error::AppError;
use crate::server::auth::guard;
use crate::server::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// A sign-in from an address already over its limit is answered 429 here, before the
/// server-function machinery reads the form: a password-guessing flood then costs little
/// more than its connections. (The sign-in itself takes the attempt, as before.)
pub async fn sign_in_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    use leptos::server_fn::ServerFn;
    if request.uri().path() != <crate::api::auth::LogIn as ServerFn>::PATH {
        return next.run(request).await;
    }
    let address = guard::address_of(&state, request.extensions(), request.headers());
    let wait = state
        .throttles
        .sign_in_by_address
        .wait(&address, std::time::Instant::now());
    match wait {
        None => next.run(request).await,
        Some(wait) => refuse(None, AppError::TooManyRequests(wait.as_secs() + 1)),
    }
}

/// `error` as a server function would answer it: its status (or `status`), the error as
/// JSON, and `Retry-After` when it has one.
fn refuse(status: Option<StatusCode>, error: AppError) -> Response {
    let retry_after = error.retry_after();
    let mut response = (status.unwrap_or(error.status()), axum::Json(error)).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The event form carries an image of up to 10 MB. Before a byte of it is read, the caller
/// must be a signed-in organizer (anyone else is answered at once, and cannot make the
/// server buffer uploads), and the request must have a multipart boundary (server_fn panics
/// on one without).
pub async fn event_upload_gate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    use crate::api::events::{CreateEvent, UpdateEvent};
    use leptos::server_fn::ServerFn;
    let path = request.uri().path();
    if path != <CreateEvent as ServerFn>::PATH && path != <UpdateEvent as ServerFn>::PATH {
        return next.run(request).await;
    }
    let has_boundary = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| multer::parse_boundary(value).is_ok());
    let (status, refusal) = match guard::user_from_headers(&state, request.headers()).await {
        Ok(Some(user)) if user.role.can_organize() && has_boundary => {
            return next.run(request).await
        }
        Ok(Some(user)) if user.role.can_organize() => (
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            AppError::Validation("Please send the event form as multipart/form-data.".into()),
        ),
        Ok(Some(_)) => (None, AppError::Forbidden),
        Ok(None) => (None, AppError::Unauthenticated),
        Err(error) => (None, error),
    };
    // Nothing of the body is kept or parsed. It is read and dropped for a moment only so the
    // client, still sending, sees the answer instead of a reset connection.
    let mut body = request.into_body();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        use axum::body::HttpBody;
        while let Some(Ok(_)) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
        {}
    })
    .await;
    refuse(status, refusal)
}
