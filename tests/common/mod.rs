//! `spawn_app()`: the real server on port 0 against a fresh `mem://` database, and local
//! doubles of the HTTP services TickEx calls (Stripe, Resend, Cloudinary, Google sign-in).
// Each test module and each bench uses a different part of this helper (the benches include
// it with `#[path]`), so what one of them leaves unused is not dead.
#![allow(dead_code)]

pub mod cloudinary;
pub mod google;
pub mod process;
pub mod resend;
pub mod stripe;

use tickex::server::config::Settings;
use tickex::server::http::{self, RunningServer};

/// What a browser sends when it navigates to a page.
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub server: RunningServer,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("accept", BROWSER_ACCEPT)
            .send()
            .await
            .expect("request failed")
    }

    /// Runs SurrealQL directly against the app's database (to age sessions, inspect rows...).
    pub async fn sql(&self, sql: &str) -> surrealdb::IndexedResults {
        self.server
            .state
            .db
            .execute(sql, Default::default())
            .await
            .expect("test query failed")
    }

    pub async fn stop(self) {
        tokio::time::timeout(std::time::Duration::from_secs(15), self.server.stop())
            .await
            .expect("the server did not stop within 15 s")
            .expect("server ended with an error");
    }
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::for_tests();
    // Tests sign many users up from 127.0.0.1; the limit itself is tested with its default.
    settings.account_requests_per_address = 10_000;
    settings.data_dir = tempfile::tempdir().expect("tempdir").keep();
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_settings()).await
}

/// A test app with the demo organizer, customer and events.
pub async fn spawn_demo_app() -> TestApp {
    let mut settings = test_settings();
    settings.demo = true;
    spawn_with(settings).await
}

/// The server as `settings` start it, except that without Stripe keys the demo gateway
/// takes the payments: tests need a payment provider, and the demo gateway drives the
/// same fulfilment code a Stripe payment does. Tests of the production default (no
/// provider at all) use [`spawn_production`].
pub async fn spawn_with(settings: Settings) -> TestApp {
    let mut state = prepared(settings).await;
    if state.settings.stripe.is_none() {
        state.payments = std::sync::Arc::new(tickex::server::payments::DemoGateway);
    }
    serve(state).await
}

/// Exactly what the binary starts with these settings.
pub async fn spawn_production(settings: Settings) -> TestApp {
    serve(prepared(settings).await).await
}

async fn prepared(settings: Settings) -> tickex::server::state::AppState {
    // `RUST_LOG=error cargo test ...` shows what an internal error reference stands for.
    if std::env::var_os("RUST_LOG").is_some() {
        tickex::server::telemetry::init("warn");
    }
    http::prepare_state(settings)
        .await
        .expect("start-up failed")
}

pub async fn serve(state: tickex::server::state::AppState) -> TestApp {
    let server = http::start(state).await.expect("listen failed");
    TestApp {
        base: format!("http://{}", server.addr),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A hang becomes a failure with a message, not a stuck CI job.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client"),
        server,
    }
}

/// A browser-less user: keeps its own session cookie between requests.
pub struct Visitor<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
}

impl TestApp {
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor {
            app: self,
            cookie: None,
        }
    }
}

impl Visitor<'_> {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .get(format!("{}{path}", self.app.base))
            .header("accept", BROWSER_ACCEPT);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request failed")
    }

    /// Calls server function `S` the way the hydrated app does (form-encoded, no HTML).
    pub async fn call<S: leptos::server_fn::ServerFn>(
        &mut self,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .post(format!("{}{}", self.app.base, S::PATH))
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("request failed");
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap().to_owned();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        response
    }
}

impl Visitor<'_> {
    /// Who the app thinks this visitor is.
    pub async fn me(&mut self) -> Option<tickex::domain::UserView> {
        let response = self.call::<tickex::api::auth::GetCurrentUser>(&[]).await;
        assert!(response.status().is_success());
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }
}

/// The `AppError` a failed server function call returned.
pub async fn app_error(response: reqwest::Response) -> tickex::error::AppError {
    assert!(
        !response.status().is_success(),
        "expected an error, got {}",
        response.status()
    );
    let body = response.text().await.unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not an AppError ({e}): {body}"))
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid_like())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn register<'a>(app: &'a TestApp, email: &str, organizer: bool) -> Visitor<'a> {
    let mut visitor = app.visitor();
    let mut form = vec![
        ("name", "Ada Lovelace"),
        ("email", email),
        ("password", "correct horse battery"),
        ("next", "/dashboard"),
    ];
    if organizer {
        form.push(("organizer", "on"));
    }
    let response = visitor.call::<tickex::api::auth::RegisterUser>(&form).await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/dashboard");
    assert!(visitor.cookie.is_some(), "registering signs the user in");
    visitor
}

impl Visitor<'_> {
    /// Posts a multipart form to server function `S` as the hydrated editor does.
    pub async fn call_multipart<S: leptos::server_fn::ServerFn>(
        &self,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .post(format!("{}{}", self.app.base, S::PATH))
            .header("accept", "application/json")
            .multipart(form);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request failed")
    }
}

/// Field values of a valid event form starting 30 days from now.
pub fn event_fields(title: &str) -> Vec<(String, String)> {
    let start = chrono::Utc::now() + chrono::Duration::days(30);
    let day = start.format("%Y-%m-%d");
    [
        ("title", title.to_owned()),
        (
            "description",
            "Talks and pizza.\n\nMore at https://example.org.".to_owned(),
        ),
        ("currency", "EUR".to_owned()),
        ("time_zone", "Europe/Berlin".to_owned()),
        ("starts_at", format!("{day}T19:00")),
        ("ends_at", format!("{day}T22:00")),
        ("venue", "Hall A".to_owned()),
        ("address", "Main Street 1, Berlin".to_owned()),
        ("ticket_id", String::new()),
        ("ticket_name", "Standard".to_owned()),
        ("ticket_price", "12.50".to_owned()),
        ("ticket_capacity", "100".to_owned()),
        ("ticket_id", String::new()),
        ("ticket_name", "Student".to_owned()),
        ("ticket_price", "0".to_owned()),
        ("ticket_capacity", "20".to_owned()),
        ("intent", "publish".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The wizard's fields for a published event with these `(name, price, capacity)` types.
pub fn event_fields_with(title: &str, tickets: &[(&str, &str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = event_fields(title)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("ticket_"))
        .collect();
    for (name, price, capacity) in tickets {
        for (k, v) in [
            ("ticket_id", ""),
            ("ticket_name", name),
            ("ticket_price", price),
            ("ticket_capacity", capacity),
            ("ticket_max", "10"),
        ] {
            fields.push((k.to_owned(), v.to_owned()));
        }
    }
    fields
}

/// A multipart form of `fields`, plus an image file when given.
pub fn multipart(
    fields: &[(String, String)],
    image: Option<(Vec<u8>, &str, &str)>,
) -> reqwest::multipart::Form {
    let mut form = fields
        .iter()
        .fold(reqwest::multipart::Form::new(), |form, (k, v)| {
            form.text(k.clone(), v.clone())
        });
    if let Some((bytes, file_name, mime)) = image {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(mime)
            .unwrap();
        form = form.part("image", part);
    }
    form
}

/// A real PNG of the given size (a colour gradient).
pub fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A real JPEG of the given size.
pub fn jpeg_bytes(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, 64, (y % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn sql_vars(pairs: &[(&str, &str)]) -> surrealdb::types::Variables {
    let mut vars = surrealdb::types::Variables::new();
    for (k, v) in pairs {
        vars.insert(*k, v.to_string());
    }
    vars
}

pub async fn query<T: surrealdb::types::SurrealValue>(
    app: &TestApp,
    sql: &str,
    pairs: &[(&str, &str)],
) -> Vec<T> {
    let mut response = app
        .server
        .state
        .db
        .execute(sql, sql_vars(pairs))
        .await
        .unwrap();
    response.take(0).unwrap()
}

/// An organizer's published event with the given (name, price, capacity) ticket types;
/// returns the event id and the ticket type ids in order.
pub async fn event_with(app: &TestApp, tickets: &[(&str, &str, &str)]) -> (String, Vec<String>) {
    event_from(app, &event_fields_with("Race Night", tickets)).await
}

/// An event created by a new organizer from the wizard's `fields`; returns the event id
/// and the ticket type ids in order.
pub async fn event_from(app: &TestApp, fields: &[(String, String)]) -> (String, Vec<String>) {
    let organizer = register(app, &unique_email("org"), true).await;
    let response = organizer
        .call_multipart::<tickex::api::events::CreateEvent>(multipart(fields, None))
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let path: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let slug = path.trim_start_matches("/events/");
    let ids: Vec<String> = query(
        app,
        "SELECT VALUE record::id(id) FROM event WHERE slug = $slug",
        &[("slug", slug)],
    )
    .await;
    let event = ids[0].clone();
    let types: Vec<String> = query(
        app,
        "SELECT VALUE record::id(id) FROM ticket_type WHERE event = type::record('event', $e) ORDER BY position",
        &[("e", &event)],
    )
    .await;
    (event, types)
}

/// `n` buyers that exist in the database, as the services see a signed-in user.
pub async fn buyers(app: &TestApp, n: usize) -> Vec<tickex::server::auth::session::CurrentUser> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let email = unique_email(&format!("buyer{i}"));
        let id = tickex::server::db::UserRepo(&app.server.state.db)
            .create(tickex::server::db::NewUser {
                name: format!("Buyer {i}"),
                email: email.clone(),
                password_hash: None,
                role: "customer",
                email_verified: true,
            })
            .await
            .unwrap();
        out.push(tickex::server::auth::session::CurrentUser {
            id,
            name: format!("Buyer {i}"),
            email,
            role: tickex::domain::Role::Customer,
            email_verified: true,
            session_key: String::new(),
        });
    }
    out
}

/// `buyer` checks out `quantity` of `ticket_type` and pays (the services directly, as the
/// demo gateway would); returns the paid order's id.
pub async fn paid_order_of(
    app: &TestApp,
    buyer: &tickex::server::auth::session::CurrentUser,
    event: &str,
    ticket_type: &str,
    quantity: u32,
) -> String {
    use tickex::server::services::orders;
    let state = &app.server.state;
    let line = tickex::domain::CheckoutLine {
        ticket_type_id: ticket_type.to_owned(),
        quantity,
    };
    let url = crate::common::checkout_as(state, buyer, event, &[line], chrono::Utc::now())
        .await
        .unwrap();
    let order = url
        .trim_start_matches("/pay/demo/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    orders::payment_succeeded(state, &order, None, "test")
        .await
        .unwrap();
    order
}

/// A platform admin, for calling services directly.
pub fn admin() -> tickex::server::auth::session::CurrentUser {
    tickex::server::auth::session::CurrentUser {
        id: "ops".into(),
        name: "Ops".into(),
        email: "ops@example.com".into(),
        role: tickex::domain::Role::Admin,
        email_verified: true,
        session_key: String::new(),
    }
}

/// Resident memory of process `pid` in MiB (0 when unreadable), for benchmark tables.
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(0.0)
}

/// Holds `lines` for `buyer` as the event page does with nothing but quantities (the
/// tickets are the buyer's, no questions answered); returns where the buyer goes next.
pub async fn checkout_as(
    state: &tickex::server::state::AppState,
    buyer: &tickex::server::auth::session::CurrentUser,
    event: &str,
    lines: &[tickex::domain::CheckoutLine],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, tickex::error::AppError> {
    tickex::server::services::orders::checkout(
        state,
        &tickex::server::services::orders::Purchaser::Account(buyer),
        event,
        lines,
        &tickex::server::services::orders::BuyerInput::default(),
        now,
    )
    .await
}
