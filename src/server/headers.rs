//! Headers every response gets: the content security policy (pages with a per-response
//! script nonce), no caching of personal data, HSTS behind https, no framing or sniffing.
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::provide_context;

/// The nonce of one response's page scripts. The middleware makes it before rendering and
/// writes the CSP header itself: the header never depends on the render handing options back.
#[derive(Clone)]
struct PageNonce(String);

/// Hands the request's [`PageNonce`] to Leptos, which puts it on every script it renders.
pub fn provide_page_nonce() {
    let nonce = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    match nonce {
        Some(PageNonce(value)) => provide_context(leptos::nonce::Nonce::from_value(value)),
        None => leptos::nonce::provide_nonce(),
    }
}

/// The CSP of a page: scripts only from us or with this response's nonce, WebAssembly
/// allowed, no framing.
fn page_policy(nonce: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob: https://res.cloudinary.com; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'"
    ))
    .ok()
}

/// Headers on every response. An HTML page gets the page CSP with its nonce; anything else
/// that sets no CSP of its own gets one that allows nothing. What sets no cache policy of its
/// own (pages, server-function answers, CSV exports: anything that may carry a signed-in
/// user's data) is never stored by a browser or proxy.
pub async fn security_headers(
    State(https): State<bool>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    request.extensions_mut().insert(PageNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"text/html"));
    let policy =
        is_page
            .then(|| page_policy(&nonce))
            .flatten()
            .unwrap_or(HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'",
            ));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(policy);
    response
}
