//! The event page as anonymous visitors get it, rendered once and served from memory for
//! at most a second (and never across a write to any event: [`EventCache::generation`]).
//! Availability on it may lag one second; checkout re-checks in the database.
//!
//! A shared body cannot carry a per-response nonce, so a cached page's CSP allows its
//! inline scripts by their SHA-256 instead (`'sha256-…'`); scripts from our own origin
//! stay allowed, nothing else is. The body is compressed with brotli once, when cached.
use crate::server::auth::session::COOKIE_NAME;
use crate::server::event_cache::CachedPage;
use crate::server::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;

/// Pages above this size are served but not kept.
const MAX_BODY: usize = 512 * 1024;

/// The slug of an anonymous visitor's plain request for an event page; `None` for anything
/// else (a signed-in visitor, a query string such as `?code=`, another path).
fn cacheable(request: &Request) -> Option<String> {
    if request.method() != Method::GET || request.uri().query().is_some() {
        return None;
    }
    let signed_in = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|cookies| cookies.contains(COOKIE_NAME));
    let slug = request.uri().path().strip_prefix("/events/")?;
    (!signed_in && !slug.is_empty() && !slug.contains('/')).then(|| slug.to_owned())
}

/// The inline scripts of `html`, each as a CSP source `'sha256-…'`.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let Some(close) = after.find("</script>") else {
            break;
        };
        if !after[..tag_end].contains(" src=") && tag_end < close {
            let content = &after[tag_end + 1..close];
            let digest = Sha256::digest(content.as_bytes());
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &after[close + "</script>".len()..];
    }
    hashes
}

/// The page CSP with the inline scripts allowed by hash instead of by nonce.
fn hashed_policy(html: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self' {} 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob: https://res.cloudinary.com; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'",
        inline_script_hashes(html).join(" ")
    ))
    .ok()
}

fn compress(raw: &[u8]) -> Bytes {
    use std::io::Write;
    let mut out = Vec::with_capacity(raw.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 20);
        // Writing to a Vec cannot fail.
        let _ = writer.write_all(raw);
    }
    Bytes::from(out)
}

fn respond(page: &CachedPage, brotli: bool) -> Response {
    let mut response = if brotli {
        let mut r = Body::from(page.brotli.clone()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        r
    } else {
        Body::from(page.raw.clone()).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, cookie"),
    );
    headers.insert(header::CONTENT_SECURITY_POLICY, page.policy.clone());
    response
}

/// Serves an anonymous event page from the cache, or renders it and keeps it.
pub async fn serve_cached(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(slug) = cacheable(&request) else {
        return next.run(request).await;
    };
    let brotli = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("br"));
    let cache = &state.event_cache;
    let generation = cache.generation();
    if let Some(page) = cache.pages.get(&slug, generation) {
        return respond(&page, brotli);
    }
    let response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if response.status() != StatusCode::OK
        || !is_page
        || response.headers().contains_key(header::SET_COOKIE)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(raw) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let Some(policy) = std::str::from_utf8(&raw).ok().and_then(hashed_policy) else {
        return Response::from_parts(parts, Body::from(raw));
    };
    let page = Arc::new(CachedPage {
        at: Instant::now(),
        generation,
        brotli: compress(&raw),
        raw,
        policy,
    });
    cache.pages.put(slug, page.clone());
    respond(&page, brotli)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<script src="/pkg/a.js"></script><script nonce="x">go()</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"go()"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }
}
