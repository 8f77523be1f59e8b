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
