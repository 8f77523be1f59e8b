//! Response status and headers set while rendering on the server.
#[cfg(feature = "ssr")]
use leptos::prelude::*;

/// Sets the HTTP status of the page being rendered; a no-op in the browser.
pub fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_code),
    ) {
        options.set_status(code);
    }
}

/// The page CSP: scripts only from us or with this response's nonce, WebAssembly allowed,
/// no framing.
#[cfg(feature = "ssr")]
pub fn set_page_csp() {
    let (Some(options), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        leptos::nonce::use_nonce(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob: https://res.cloudinary.com; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self' https://checkout.stripe.com; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
