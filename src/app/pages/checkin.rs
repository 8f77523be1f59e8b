//! `/checkin/:event`: the door. The page is a shell: the scanner (`public/door/door.js`,
//! fetched by this page only, so no other page grows) fills `#door` and runs it: camera,
//! typed codes, name search, the answer in green, amber or red, and working offline from
//! the device's own copy. A device link (`#device=<token>` in the address, never sent in a
//! request line) opens it without an account.
use leptos::prelude::*;
use leptos_meta::{Link, Title};
use leptos_router::hooks::use_params_map;

#[component]
pub fn CheckInPage() -> impl IntoView {
    let params = use_params_map();
    let event_id = move || params.read().get("event").unwrap_or_default();
    let manifest = format!(
        "/checkin/{}/manifest.webmanifest",
        params.read_untracked().get("event").unwrap_or_default()
    );
    // After each render of the page (hydrated or reached by a link), hand it to the scanner.
    Effect::new(move |_| {
        event_id();
        #[cfg(feature = "hydrate")]
        scanner::mount();
    });
    on_cleanup(|| {
        #[cfg(feature = "hydrate")]
        scanner::unmount();
    });
    view! {
        <Title text="Check-in" />
        <Link rel="manifest" href=manifest />
        // Left empty here: its contents are the scanner's.
        <div id="door" class="door" data-event=event_id></div>
        <noscript>
            <p class="notice">"The door needs JavaScript: it reads the camera and keeps the ticket list on this device."</p>
        </noscript>
    }
}

#[cfg(feature = "hydrate")]
mod scanner {
    use leptos::prelude::document;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = tickexDoor, js_name = mount, catch)]
        fn door_mount() -> Result<(), JsValue>;
        #[wasm_bindgen(js_namespace = tickexDoor, js_name = unmount, catch)]
        fn door_unmount() -> Result<(), JsValue>;
    }

    /// Mounts the scanner, loading it first if this is its first page here (it mounts
    /// itself once loaded).
    pub fn mount() {
        if door_mount().is_ok() {
            return;
        }
        let document = document();
        if document.get_element_by_id("door-script").is_some() {
            return;
        }
        let Ok(script) = document.create_element("script") else {
            return;
        };
        let _ = script.set_attribute("id", "door-script");
        let _ = script.set_attribute("type", "module");
        let _ = script.set_attribute("src", "/door/door.js");
        if let Some(head) = document.head() {
            let _ = head.append_child(&script);
        }
    }

    pub fn unmount() {
        let _ = door_unmount();
    }
}
