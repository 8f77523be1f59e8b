//! Issue 5: creating, editing and reading events, and what image uploads may contain.
use crate::common::{
    app_error, event_fields, jpeg_bytes, multipart, png_bytes, register, spawn_app, spawn_with,
    test_settings, unique_email, TestApp, Visitor,
};
use tickex::api::events::{
    ChangeEventStatus, CreateEvent, DeleteEvent, GetEventForEdit, ListUpcomingEvents, UpdateEvent,
};
use tickex::domain::{EventEditorData, EventListPage};
use tickex::error::AppError;

async fn count(app: &TestApp, table: &str) -> i64 {
    let mut response = app
        .sql(&format!(
            "RETURN array::len((SELECT VALUE id FROM {table}))"
        ))
        .await;
    let count: Option<i64> = response.take(0).unwrap();
    count.unwrap_or(0)
}

fn uploads(app: &TestApp) -> Vec<String> {
    let dir = app.server.state.settings.data_dir.join("uploads");
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let slot = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    slot.1 = value.to_owned();
}

/// Creates an event; returns its path (`/events/<slug>`).
async fn create(visitor: &Visitor<'_>, fields: &[(String, String)]) -> String {
    let response = visitor
        .call_multipart::<CreateEvent>(multipart(fields, None))
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn event_id(app: &TestApp, path: &str) -> String {
    let slug = path.trim_start_matches("/events/").to_owned();
    let mut vars = surrealdb::types::Variables::new();
    vars.insert("slug", slug);
    let mut response = app
        .server
        .state
        .db
        .execute(
            "SELECT VALUE record::id(id) FROM event WHERE slug = $slug",
            vars,
        )
        .await
        .unwrap();
    let ids: Vec<String> = response.take(0).unwrap();
    ids.into_iter().next().expect("event exists")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_with_two_ticket_types_and_an_image_is_public_at_once() {
    let app = spawn_app().await;
    let organizer = register(&app, &unique_email("org"), true).await;
    let fields = event_fields("Rust & <Friends> Meetup");
    let response = organizer
        .call_multipart::<CreateEvent>(multipart(
            &fields,
            Some((png_bytes(2400, 1200), "cover.png", "image/png")),
        ))
        .await;
    assert_eq!(response.status(), 200);
    let path: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(path, "/events/rust-and-friends-meetup");

    let anonymous = app.get(&path).await;
    assert_eq!(anonymous.status(), 200);
    let html = anonymous.text().await.unwrap();
    assert!(
        html.contains("Rust &amp; &lt;Friends&gt; Meetup"),
        "title escaped"
    );
    if let Some(at) = html.find("<Friends>") {
        panic!("unescaped: {}", &html[at.saturating_sub(200)..at + 50]);
    }
    assert!(html.contains("Standard") && html.contains("Student"));
    assert!(html.contains("€12.50") || html.contains("12.50"));
    assert!(html.contains(r#"property="og:title""#));
    assert!(html.contains(r#"rel="canonical""#));
    assert!(
        html.contains(r#"href="https://example.org""#),
        "links in descriptions"
    );

    // JSON-LD names the event and cannot break out of its script element.
    let start = html.find(r#"<script type="application/ld+json">"#).unwrap();
    let json_text = &html[start..];
    let json_text =
        &json_text[json_text.find('>').unwrap() + 1..json_text.find("</script>").unwrap()];
    let data: serde_json::Value = serde_json::from_str(json_text).unwrap();
    assert_eq!(data["@type"], "Event");
    assert_eq!(data["name"], "Rust & <Friends> Meetup");
    assert_eq!(data["offers"].as_array().unwrap().len(), 2);
    assert!(!json_text.contains('<'));

    // The cover is served from local storage, re-encoded, with a long cache lifetime.
    let absolute = data["image"][0].as_str().unwrap();
    assert!(
        absolute.starts_with("http://127.0.0.1/media/"),
        "{absolute}"
    );
    let cover = absolute.trim_start_matches("http://127.0.0.1").to_owned();
    assert!(cover.ends_with(".jpg") && html.contains(&format!(r#"src="{cover}""#)));
    let image = app.get(&cover).await;
    assert_eq!(image.status(), 200);
    assert!(image.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let bytes = image.bytes().await.unwrap();
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1600, 800));
    assert_eq!(uploads(&app).len(), 2, "cover and thumbnail");

    // The home page lists it with its thumbnail and "from" price.
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("Rust &amp; &lt;Friends&gt; Meetup"));
    assert!(home.contains("-thumb.jpg"));
    assert!(home.contains("Free"), "the cheapest ticket is free");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_validation_failure_names_its_field_and_writes_nothing() {
    let app = spawn_app().await;
    let organizer = register(&app, &unique_email("org"), true).await;
    let cases: &[(&str, &str, &str)] = &[
        ("title", "", "title"),
        ("time_zone", "Mars/Olympus", "time_zone"),
        ("starts_at", "tomorrow", "starts_at"),
        ("ends_at", "2020-01-01T10:00", "ends_at"),
        ("currency", "EURO", "currency"),
        ("venue", "", "venue"),
        ("ticket_price", "-5", "ticket_price.0"),
        ("ticket_capacity", "0", "ticket_capacity.0"),
        ("ticket_capacity", "ten", "ticket_capacity.0"),
        ("ticket_name", "", "ticket_name.0"),
    ];
    for (name, value, field) in cases {
        let mut fields = event_fields("Validation Night");
        set(&mut fields, name, value);
        let response = organizer
            .call_multipart::<CreateEvent>(multipart(
                &fields,
                Some((png_bytes(64, 64), "ok.png", "image/png")),
            ))
            .await;
        assert_eq!(response.status(), 422, "{name}={value}");
        let error = app_error(response).await;
        assert!(
            error.message_for(field).is_some(),
            "{name}={value} should flag {field}: {error:?}"
        );
    }
    // No ticket type at all.
    let fields: Vec<_> = event_fields("No tickets")
        .into_iter()
        .filter(|(k, _)| !k.starts_with("ticket_"))
        .collect();
    let error = app_error(
        organizer
            .call_multipart::<CreateEvent>(multipart(&fields, None))
            .await,
    )
    .await;
    assert!(error.message_for("ticket_name.0").is_some(), "{error:?}");

    assert_eq!(count(&app, "event").await, 0);
    assert_eq!(count(&app, "ticket_type").await, 0);
    assert!(
        uploads(&app).is_empty(),
        "no image kept: {:?}",
        uploads(&app)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_organizers_create_and_only_their_own_events_are_theirs() {
    let app = spawn_app().await;
    let fields = event_fields("Members Only");

    let anonymous = app.visitor();
    let error = app_error(
        anonymous
            .call_multipart::<CreateEvent>(multipart(&fields, None))
            .await,
    )
    .await;
    assert_eq!(error, AppError::Unauthenticated);
    let customer = register(&app, &unique_email("customer"), false).await;
    let error = app_error(
        customer
            .call_multipart::<CreateEvent>(multipart(&fields, None))
            .await,
    )
    .await;
    assert_eq!(error, AppError::Forbidden);
    assert_eq!(count(&app, "event").await, 0);

    let mut owner = register(&app, &unique_email("owner"), true).await;
    let path = create(&owner, &fields).await;
    let id = event_id(&app, &path).await;
    let mut other = register(&app, &unique_email("other"), true).await;

    let mut edit = event_fields("Hijacked");
    edit.push(("event_id".into(), id.clone()));
    let error = app_error(
        other
            .call_multipart::<UpdateEvent>(multipart(&edit, None))
            .await,
    )
    .await;
    assert_eq!(error, AppError::Forbidden);
    let error = app_error(
        other
            .call::<ChangeEventStatus>(&[("id", &id), ("action", "cancel")])
            .await,
    )
    .await;
    assert_eq!(error, AppError::Forbidden);
    let error = app_error(other.call::<GetEventForEdit>(&[("id", &id)]).await).await;
    assert_eq!(error, AppError::Forbidden);
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("Members Only") && !page.contains("Hijacked"));

    // The owner may; so may an admin.
    let response = owner
        .call_multipart::<UpdateEvent>(multipart(&edit, None))
        .await;
    assert_eq!(response.status(), 200);
    let response = owner.call::<GetEventForEdit>(&[("id", &id)]).await;
    let data: EventEditorData = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(data.form.title, "Hijacked");
    app.sql("UPDATE user SET role = 'admin' WHERE string::starts_with(email, 'other-')")
        .await;
    let response = other
        .call::<ChangeEventStatus>(&[("id", &id), ("action", "cancel")])
        .await;
    assert_eq!(response.status(), 200, "an admin manages every event");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_stay_private_and_published_slugs_stay_put() {
    let app = spawn_app().await;
    let mut organizer = register(&app, &unique_email("org"), true).await;
    let mut fields = event_fields("Secret Draft");
    set(&mut fields, "intent", "draft");
    let path = create(&organizer, &fields).await;
    let id = event_id(&app, &path).await;

    assert_eq!(app.get(&path).await.status(), 404, "drafts are hidden");
    assert_eq!(
        organizer.get(&path).await.status(),
        200,
        "but not from their organizer"
    );
    let list = organizer
        .call::<ListUpcomingEvents>(&[("search", ""), ("page", "1")])
        .await;
    let list: EventListPage = serde_json::from_str(&list.text().await.unwrap()).unwrap();
    assert!(list.events.is_empty());

    // A draft's slug follows its title; after publishing it never changes.
    let mut edit = event_fields("Open Evening");
    edit.push(("event_id".into(), id.clone()));
    let response = organizer
        .call_multipart::<UpdateEvent>(multipart(&edit, None))
        .await;
    let path: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(path, "/events/open-evening");
    let response = organizer
        .call::<ChangeEventStatus>(&[("id", &id), ("action", "publish")])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.get(&path).await.status(), 200);
    let mut edit = event_fields("Renamed Evening");
    edit.push(("event_id".into(), id.clone()));
    let response = organizer
        .call_multipart::<UpdateEvent>(multipart(&edit, None))
        .await;
    let kept: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(kept, "/events/open-evening");

    // Published events cannot be deleted; a second draft can, and is gone.
    let error = app_error(organizer.call::<DeleteEvent>(&[("id", &id)]).await).await;
    assert!(matches!(error, AppError::Validation(_)), "{error:?}");
    let mut fields = event_fields("Throwaway");
    set(&mut fields, "intent", "draft");
    let draft = create(&organizer, &fields).await;
    let draft_id = event_id(&app, &draft).await;
    let response = organizer.call::<DeleteEvent>(&[("id", &draft_id)]).await;
    assert!(response.status().is_success());
    assert_eq!(organizer.get(&draft).await.status(), 404);
    assert_eq!(count(&app, "event").await, 1);
    assert_eq!(count(&app, "ticket_type").await, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_cannot_drop_below_what_is_sold_or_held() {
    let app = spawn_app().await;
    let organizer = register(&app, &unique_email("org"), true).await;
    let path = create(&organizer, &event_fields("Busy Night")).await;
    let id = event_id(&app, &path).await;
    // 30 seats of the first type are gone (as the checkout would leave them).
    app.sql("UPDATE ticket_type SET available = capacity - 30, sold = 25, held = 5 WHERE name = 'Standard'")
        .await;
    let standard_id = {
        let mut r = app
            .sql("SELECT VALUE record::id(id) FROM ticket_type WHERE name = 'Standard'")
            .await;
        let ids: Vec<String> = r.take(0).unwrap();
        ids[0].clone()
    };

    let mut edit = event_fields("Busy Night");
    edit.push(("event_id".into(), id.clone()));
    let first_id = edit.iter().position(|(k, _)| k == "ticket_id").unwrap();
    edit[first_id].1 = standard_id.clone();
    let capacity = edit
        .iter()
        .position(|(k, _)| k == "ticket_capacity")
        .unwrap();
    edit[capacity].1 = "29".into();
    let error = app_error(
        organizer
            .call_multipart::<UpdateEvent>(multipart(&edit, None))
            .await,
    )
    .await;
    let message = error
        .message_for("ticket_capacity.0")
        .unwrap_or_else(|| panic!("capacity flagged: {error:?}"));
    assert!(message.contains("30"), "{message}");

    // Removing a type with sales is refused too; the ledger is untouched by both.
    let without_standard: Vec<_> = edit
        .iter()
        .enumerate()
        .filter(|(i, _)| !(first_id..first_id + 4).contains(i))
        .map(|(_, f)| f.clone())
        .collect();
    let error = app_error(
        organizer
            .call_multipart::<UpdateEvent>(multipart(&without_standard, None))
            .await,
    )
    .await;
    assert!(error.to_string().contains("Standard"), "{error}");
    let mut r = app
        .sql("SELECT VALUE [capacity, available] FROM ticket_type WHERE name = 'Standard'")
        .await;
    let rows: Vec<Vec<i64>> = r.take(0).unwrap();
    assert_eq!(rows, vec![vec![100, 70]]);

    // Raising it works and keeps available + held + sold == capacity.
    edit[capacity].1 = "150".into();
    let response = organizer
        .call_multipart::<UpdateEvent>(multipart(&edit, None))
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let mut r = app
        .sql("SELECT VALUE available FROM ticket_type WHERE name = 'Standard'")
        .await;
    let available: Vec<i64> = r.take(0).unwrap();
    assert_eq!(available, vec![120]);
    app.stop().await;
}

async fn list(app: &TestApp, search: &str, page: &str) -> EventListPage {
    let mut visitor = app.visitor();
    let response = visitor
        .call::<ListUpcomingEvents>(&[("search", search), ("page", page)])
        .await;
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_and_searches() {
    let app = spawn_app().await;
    let organizer = register(&app, &unique_email("org"), true).await;
    for i in 0..13 {
        let mut fields = event_fields(&format!("Weekly Jam {i:02}"));
        if i == 7 {
            set(&mut fields, "venue", "Zebra Lounge");
        }
        create(&organizer, &fields).await;
    }
    let first = list(&app, "", "1").await;
    assert_eq!(first.events.len(), 12);
    assert!(first.has_next);
    let second = list(&app, "", "2").await;
    assert_eq!(second.events.len(), 1);
    assert!(!second.has_next);
    let zebra = list(&app, "zebra", "1").await;
    assert_eq!(zebra.events.len(), 1);
    assert_eq!(zebra.events[0].title, "Weekly Jam 07");
    let html = app.get("/?q=ZEBRA").await.text().await.unwrap();
    assert!(html.contains("Weekly Jam 07") && !html.contains("Weekly Jam 08"));
    let html = app.get("/?page=2").await.text().await.unwrap();
    assert!(html.contains(r#"rel="prev""#));
    app.stop().await;
}

/// Sends one image upload with an otherwise valid form; returns the image field's message.
async fn refused_image(
    app: &TestApp,
    visitor: &Visitor<'_>,
    bytes: Vec<u8>,
    name: &str,
    mime: &str,
) -> String {
    let response = visitor
        .call_multipart::<CreateEvent>(multipart(
            &event_fields("Image Test"),
            Some((bytes, name, mime)),
        ))
        .await;
    assert_eq!(response.status(), 422, "{name} must be refused");
    let error = app_error(response).await;
    assert_eq!(count(app, "event").await, 0, "{name}: nothing written");
    assert!(uploads(app).is_empty(), "{name}: nothing stored");
    error.message_for("image").expect("an image message")
}

/// The IHDR of a 1x1 PNG rewritten to declare other dimensions, with a valid CRC.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png_bytes(1, 1);
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dangerous_uploads_are_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let organizer = register(&app, &unique_email("org"), true).await;

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
    let message = refused_image(&app, &organizer, svg, "cover.svg", "image/svg+xml").await;
    assert!(message.contains("JPEG, PNG or WebP"), "{message}");

    let html = b"<!doctype html><script>alert(1)</script>".to_vec();
    let message = refused_image(&app, &organizer, html, "cover.png", "image/png").await;
    assert!(message.contains("JPEG, PNG or WebP"), "{message}");

    let mut polyglot = png_bytes(16, 16);
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    let message = refused_image(&app, &organizer, polyglot, "poly.png", "image/png").await;
    assert!(message.contains("more than an image"), "{message}");

    let mut huge = jpeg_bytes(8, 8);
    huge.resize(11 * 1024 * 1024, 0);
    let message = refused_image(&app, &organizer, huge, "huge.jpg", "image/jpeg").await;
    assert!(message.contains("10 MB"), "{message}");

    let bomb = png_declaring(20_000, 20_000);
    let message = refused_image(&app, &organizer, bomb, "bomb.png", "image/png").await;
    assert!(message.contains("8000"), "{message}");

    let jpeg = jpeg_bytes(300, 200);
    let truncated = jpeg[..jpeg.len() / 2].to_vec();
    let message = refused_image(&app, &organizer, truncated, "cut.jpg", "image/jpeg").await;
    assert!(message.contains("damaged"), "{message}");

    // A malformed multipart request is refused, and the server still answers afterwards.
    let response = app
        .client
        .post(format!(
            "{}{}",
            app.base,
            <CreateEvent as leptos::server_fn::ServerFn>::PATH
        ))
        .header("content-type", "multipart/form-data")
        .header("cookie", organizer.cookie.as_deref().unwrap())
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

/// A JPEG with an APP1 Exif segment carrying a recognisable (fake) GPS note.
fn jpeg_with_exif() -> Vec<u8> {
    let jpeg = jpeg_bytes(320, 240);
    let payload = b"Exif\0\0II*\0SECRET-GPS-52.5200N-13.4050E";
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(payload);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jpeg_is_stored_re_encoded_without_its_metadata() {
    let app = spawn_app().await;
    let organizer = register(&app, &unique_email("org"), true).await;
    let original = jpeg_with_exif();
    assert!(
        image::load_from_memory(&original).is_ok(),
        "the fixture is a valid JPEG"
    );
    let response = organizer
        .call_multipart::<CreateEvent>(multipart(
            &event_fields("Photo Walk"),
            Some((original.clone(), "photo.jpg", "image/jpeg")),
        ))
        .await;
    assert_eq!(response.status(), 200);
    let stored = uploads(&app);
    assert_eq!(stored.len(), 2);
    for name in stored {
        let bytes = app
            .get(&format!("/media/{name}"))
            .await
            .bytes()
            .await
            .unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert_ne!(bytes.as_ref(), original.as_slice());
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("Exif") && !text.contains("SECRET-GPS"),
            "{name} kept metadata"
        );
        assert!(name.len() >= 36, "random name: {name}");
    }
    app.stop().await;
}

mod cloudinary {
    use super::*;
    use crate::common::cloudinary::{Shared, SECRET};

    async fn app_with(double: Shared) -> TestApp {
        let base = crate::common::cloudinary::spawn(double).await;
        let mut settings = test_settings();
        settings.cloudinary = Some(tickex::server::config::CloudinarySettings {
            api_key: "key123".into(),
            api_secret: SECRET.into(),
            cloud_name: "demo-cloud".into(),
            api_base: base,
        });
        spawn_with(settings).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn signed_uploads_store_the_returned_secure_url() {
        let double = Shared::default();
        let app = app_with(double.clone()).await;
        let organizer = register(&app, &unique_email("org"), true).await;
        let path = create_with_image(&organizer).await.expect("created");
        let html = app.get(&path).await.text().await.unwrap();
        let sent = double.lock().unwrap().uploads.clone();
        assert_eq!(sent.len(), 2, "cover and thumbnail");
        let cover = format!(
            "https://res.cloudinary.com/demo-cloud/image/upload/v1/tickex/{}.jpg",
            sent[0].0
        );
        assert!(html.contains(&cover), "the page shows the returned URL");
        assert!(sent.iter().all(|(_, len)| *len > 100));
        assert!(uploads(&app).is_empty(), "nothing on local disk");
        app.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_upload_deletes_what_was_uploaded_and_saves_nothing() {
        let double = Shared::default();
        double.lock().unwrap().fail_thumbnails = true;
        let app = app_with(double.clone()).await;
        let organizer = register(&app, &unique_email("org"), true).await;
        let error = create_with_image(&organizer).await.unwrap_err();
        assert!(error
            .message_for("image")
            .unwrap()
            .contains("could not store"));
        let (sent, destroyed) = {
            let double = double.lock().unwrap();
            (double.uploads.clone(), double.destroyed.clone())
        };
        assert_eq!(
            sent.len(),
            1,
            "the cover went up before the thumbnail failed"
        );
        assert_eq!(destroyed, vec![format!("tickex/{}", sent[0].0)]);
        assert_eq!(count(&app, "event").await, 0);
        app.stop().await;
    }

    async fn create_with_image(organizer: &Visitor<'_>) -> Result<String, AppError> {
        let response = organizer
            .call_multipart::<CreateEvent>(multipart(
                &event_fields("Cloud Party"),
                Some((png_bytes(800, 450), "cover.png", "image/png")),
            ))
            .await;
        if response.status().is_success() {
            Ok(serde_json::from_str(&response.text().await.unwrap()).unwrap())
        } else {
            Err(app_error(response).await)
        }
    }
}
