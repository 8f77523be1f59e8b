use crate::common::{spawn_app, spawn_demo_app, spawn_with, test_settings};
use tickex::server::http::{prepare_state, StartError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_renders_upcoming_events_on_the_server() {
    let app = spawn_demo_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Berlin Jazz Nights"), "{html}");
    assert!(html.contains("Rust Nation Meetup"));
    assert!(html.contains("href=\"/events/berlin-jazz-nights-"));
    assert!(html.contains("From €19.00"), "cheapest price shown");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_without_events_shows_an_empty_state() {
    let app = spawn_app().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("No upcoming events yet"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_page_shows_ticket_types_in_the_event_zone() {
    let app = spawn_demo_app().await;
    let home = app.get("/").await.text().await.unwrap();
    let start = home.find("/events/berlin-jazz-nights-").unwrap();
    let end = start + home[start..].find('"').unwrap();
    let response = app.get(&home[start..end]).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    for expected in ["Early bird", "€19.00", "VIP table", "€75.00", "Kesselhaus"] {
        assert!(html.contains(expected), "missing {expected}");
    }
    assert!(
        html.contains(" CET") || html.contains(" CEST"),
        "Berlin time"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_the_404_page() {
    let app = spawn_app().await;
    for path in ["/no/such/page", "/events/no-such-event", "/events/%00%ff"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("We could not find that page"), "{path}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_security_headers_and_a_matching_script_nonce() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    let headers = response.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("nonce in CSP");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "hydration script must carry the CSP nonce"
    );
    let other = app.get("/").await;
    assert_ne!(
        other.headers()["content-security-policy"],
        headers["content-security-policy"],
        "a fresh nonce per response"
    );
    // Non-page responses get a CSP that allows nothing.
    let health = app.get("/healthz").await;
    assert!(health.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_request_bodies_are_refused() {
    let mut settings = test_settings();
    settings.body_limit_bytes = 4096;
    let app = spawn_with(settings).await;
    let response = app
        .client
        .post(format!("{}/api/list_upcoming_events", app.base))
        .body(vec![b'a'; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_assets_are_served_precompressed() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("tickex.js"), "console.log('plain')").unwrap();
    std::fs::write(pkg.join("tickex.js.br"), "brotli bytes").unwrap();
    let mut settings = test_settings();
    settings.site_root = site.path().to_path_buf();
    let app = spawn_with(settings).await;
    let response = app
        .client
        .get(format!("{}/pkg/tickex.js", app.base))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "br");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert!(response.headers().contains_key("cache-control"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_on_surrealkv_keeps_data_and_reapplies_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings();
    settings.database_url = format!("surrealkv://{}", dir.path().join("db").display());
    settings.demo = true;

    let first = spawn_with(settings.clone()).await;
    let before = first.get("/").await.text().await.unwrap();
    assert!(before.contains("Berlin Jazz Nights"));
    // Pretend a schema file changed since it was applied: the next start must apply it again.
    first.sql("UPDATE schema_file SET hash = 'stale'").await;
    first.stop().await;

    // The embedded engine releases its file lock shortly after the last handle is dropped.
    let mut state = None;
    for _ in 0..100 {
        match prepare_state(settings.clone()).await {
            Ok(ready) => {
                state = Some(ready);
                break;
            }
            Err(error) if error.to_string().contains("locked") => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => panic!("restart failed: {error}"),
        }
    }
    let second = crate::common::serve(state.expect("database lock never released")).await;
    let after = second.get("/").await.text().await.unwrap();
    assert_eq!(
        after.matches("event-card\"").count(),
        before.matches("event-card\"").count(),
        "data kept and demo data not duplicated"
    );
    let mut response = second
        .sql("SELECT VALUE hash FROM schema_file WHERE hash = 'stale'")
        .await;
    let stale: Vec<String> = response.take(0).unwrap();
    assert!(stale.is_empty(), "changed schema files were applied again");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_stop_start_up_with_a_clear_message() {
    let mut settings = test_settings();
    settings.database_url = "ws://127.0.0.1:9".into();
    let error = prepare_state(settings).await.err().expect("must fail");
    assert!(matches!(error, StartError::Database(_)));
    assert!(
        error.to_string().starts_with("TICKEX_DATABASE_URL:"),
        "{error}"
    );

    let file = tempfile::NamedTempFile::new().unwrap();
    let mut settings = test_settings();
    settings.data_dir = file.path().join("sub");
    let error = prepare_state(settings).await.err().expect("must fail");
    assert!(error.to_string().starts_with("TICKEX_DATA_DIR:"), "{error}");
}

/// Route generation sets a process-wide flag that parks resources first polled meanwhile
/// (leptos#4773): pages must keep rendering while other servers start in the same process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_start_in_the_same_process() {
    let app = spawn_app().await;
    let done = std::sync::atomic::AtomicBool::new(false);
    let starting = async {
        for _ in 0..20 {
            let others = futures::future::join_all((0..3).map(|_| spawn_app())).await;
            for other in others {
                other.stop().await;
            }
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let rendering = futures::future::join_all((0..4).map(|_| async {
        let mut rendered = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let response = tokio::time::timeout(std::time::Duration::from_secs(10), app.get("/"))
                .await
                .expect("a page hung while another server started");
            assert!(response
                .text()
                .await
                .unwrap()
                .contains("No upcoming events yet"));
            rendered += 1;
        }
        rendered
    }));
    let ((), rendered) = tokio::join!(starting, rendering);
    assert!(rendered.iter().all(|&count| count > 0));
    app.stop().await;
}
