//! Browser-only helpers for the event editor: an XMLHttpRequest upload (fetch cannot report
//! upload progress), the image preview and the review summary.
use crate::domain::event_form::MAX_IMAGE_BYTES;
use crate::error::AppError;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{FormData, HtmlFormElement, HtmlInputElement, ProgressEvent, XmlHttpRequest};

/// Posts the form as multipart data to a server function and reports upload progress
/// (0.0 to 1.0), then the function's result.
pub fn post_form_with_progress(
    form: &HtmlFormElement,
    action: &str,
    extra: &[(&str, &str)],
    on_progress: impl Fn(f64) + 'static,
    on_done: impl FnOnce(Result<String, AppError>) + 'static,
) -> Result<(), JsValue> {
    let data = FormData::new_with_form(form)?;
    for (name, value) in extra {
        data.append_with_str(name, value)?;
    }
    let xhr = XmlHttpRequest::new()?;
    xhr.open("POST", action)?;
    // Not text/html: the server answers with the result instead of a redirect.
    xhr.set_request_header("Accept", "application/json")?;
    let progress = Closure::<dyn Fn(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            on_progress(e.loaded() / e.total());
        }
    });
    xhr.upload()?
        .set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let request = xhr.clone();
    let done = Closure::once_into_js(move || {
        // The progress callback lives exactly as long as the request.
        drop(progress);
        let status = request.status().unwrap_or(0);
        let body = request.response_text().ok().flatten().unwrap_or_default();
        on_done(read_result(status, &body));
    });
    xhr.set_onloadend(Some(done.unchecked_ref()));
    xhr.send_with_opt_form_data(Some(&data))
}

fn read_result(status: u16, body: &str) -> Result<String, AppError> {
    match status {
        0 => Err(AppError::Transport("no response".into())),
        200..=299 => {
            serde_json::from_str::<String>(body).map_err(|e| AppError::Transport(e.to_string()))
        }
        413 => Err(AppError::field(
            "image",
            "The upload is too large. Images can be at most 10 MB.",
        )),
        _ => Err(serde_json::from_str::<AppError>(body)
            .unwrap_or_else(|_| AppError::Transport(format!("HTTP {status}")))),
    }
}

/// The picked image as an object URL for a preview; an early message for a file that is
/// too large or not an image (the server checks again either way).
pub fn chosen_image(ev: &web_sys::Event) -> Result<Option<String>, String> {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
    else {
        return Ok(None);
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return Ok(None);
    };
    if file.size() > MAX_IMAGE_BYTES as f64 {
        return Err("The image is larger than 10 MB. Please choose a smaller file.".into());
    }
    if !matches!(
        file.type_().as_str(),
        "image/jpeg" | "image/png" | "image/webp"
    ) {
        return Err("Please upload a JPEG, PNG or WebP image.".into());
    }
    Ok(web_sys::Url::create_object_url_with_blob(&file).ok())
}

/// Label/value pairs describing the form as filled in now.
pub fn form_summary(form: &HtmlFormElement) -> Vec<(String, String)> {
    let Ok(data) = FormData::new_with_form(form) else {
        return Vec::new();
    };
    let text = |name: &str| data.get(name).as_string().unwrap_or_default();
    let all = |name: &str| -> Vec<String> {
        data.get_all(name)
            .iter()
            .map(|v| v.as_string().unwrap_or_default())
            .collect()
    };
    let mut rows = vec![
        ("Title".to_owned(), text("title")),
        (
            "When".to_owned(),
            format!(
                "{} to {} ({})",
                text("starts_at").replace('T', " "),
                text("ends_at").replace('T', " "),
                text("time_zone")
            ),
        ),
        (
            "Where".to_owned(),
            [text("venue"), text("address"), text("online_url")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    let currency = text("currency");
    let names = all("ticket_name");
    let prices = all("ticket_price");
    let capacities = all("ticket_capacity");
    for (i, name) in names.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
        rows.push((
            format!("Ticket: {name}"),
            format!(
                "{} {currency}, {} available",
                prices.get(i).cloned().unwrap_or_default(),
                capacities.get(i).cloned().unwrap_or_default()
            ),
        ));
    }
    let image = data
        .get("image")
        .dyn_into::<web_sys::File>()
        .ok()
        .filter(|f| f.size() > 0.0)
        .map(|f| f.name())
        .unwrap_or_else(|| "No new image".into());
    rows.push(("Image".to_owned(), image));
    rows
}
