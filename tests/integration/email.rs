//! Issue 7: ticket emails through Resend (a local double), the outbox, password reset.
use crate::common::resend::{self, newest_token, Double};
use crate::common::{
    app_error, buyers, event_with, query, register, spawn_with, test_settings, unique_email,
    TestApp,
};
use futures::future::join_all;
use tickex::api::auth::{LogIn, RequestPasswordReset, ResetPassword};
use tickex::domain::CheckoutLine;
use tickex::error::AppError;
use tickex::server::email::outbox;
use tickex::server::services::{accounts, orders};

/// A paid order (demo gateway) of `quantity` tickets, fulfilled `times` times concurrently.
/// The double then counts from zero and answers with `script`: the organizer's email
/// confirmation link, sent when `event_with` registers them, is not what these tests count.
pub(crate) async fn paid_order(
    app: &TestApp,
    double: &Double,
    script: &[u16],
    quantity: u32,
    times: usize,
) -> String {
    let (event, types) = event_with(app, &[("Standard", "25", "20")]).await;
    {
        let mut d = double.lock().unwrap();
        d.received.clear();
        d.script = script.to_vec();
    }
    let buyer = buyers(app, 1).await.remove(0);
    let state = &app.server.state;
    let line = CheckoutLine {
        ticket_type_id: types[0].clone(),
        quantity,
    };
    let url = crate::common::checkout_as(state, &buyer, &event, &[line], chrono::Utc::now())
        .await
        .unwrap();
    let order = url
        .trim_start_matches("/pay/demo/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let runs = (0..times).map(|_| orders::payment_succeeded(state, &order, None, "test"));
    for outcome in join_all(runs).await {
        outcome.unwrap();
    }
    order
}

async fn outbox_rows(app: &TestApp, order: &str) -> Vec<Vec<String>> {
    query(
        app,
        "SELECT VALUE [status, last_error ?? ''] FROM outbox WHERE purchase = type::record('purchase', $id)",
        &[("id", order)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_email_per_paid_order_however_often_it_is_fulfilled() {
    let double = Double::default();
    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let order = paid_order(&app, &double, &[], 3, 5).await;
    app.sql("UPDATE user SET name = '<b>Eve</b> & co' WHERE name = 'Buyer 0'")
        .await;

    // Two workers race over the same outbox.
    let now = chrono::Utc::now();
    let state = &app.server.state;
    let (a, b) = tokio::join!(outbox::run_once(state, now), outbox::run_once(state, now));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(outbox::run_once(state, now).await.unwrap(), 0);

    let received = double.lock().unwrap().received.clone();
    assert_eq!(received.len(), 1, "exactly one request");
    let (key, auth, body) = &received[0];
    assert_eq!(
        key.as_deref(),
        Some(format!("order-confirmation/{order}").as_str())
    );
    assert_eq!(auth.as_deref(), Some("Bearer re_test_key"));
    let html = body["html"].as_str().unwrap();
    let text = body["text"].as_str().unwrap();
    let references: Vec<String> = query(
        &app,
        "SELECT VALUE reference FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(references.len(), 3);
    for reference in &references {
        assert!(
            html.contains(reference) && text.contains(reference),
            "{reference}"
        );
    }
    assert!(
        html.contains("&lt;b&gt;Eve&lt;/b&gt; &amp; co"),
        "user text escaped"
    );
    assert!(!html.contains("<b>Eve</b>"));
    let attachments = body["attachments"].as_array().unwrap();
    let types: Vec<&str> = attachments
        .iter()
        .map(|a| a["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["image/png", "image/png", "image/png", "text/calendar"],
        "one QR code per ticket, and the event for the calendar"
    );
    assert_eq!(
        outbox_rows(&app, &order).await,
        vec![vec!["sent".to_owned(), String::new()]]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_is_retried_with_the_same_key_and_sends_once() {
    let double = Double::default();
    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let order = paid_order(&app, &double, &[500], 1, 1).await;
    let state = &app.server.state;
    let now = chrono::Utc::now();
    assert_eq!(outbox::run_once(state, now).await.unwrap(), 0);
    let rows = outbox_rows(&app, &order).await;
    assert_eq!(rows[0][0], "pending");
    assert!(rows[0][1].contains("500"), "{rows:?}");
    // Not yet due: the backoff is at least a few seconds.
    assert_eq!(outbox::run_once(state, now).await.unwrap(), 0);
    assert_eq!(
        outbox::run_once(state, now + chrono::Duration::hours(2))
            .await
            .unwrap(),
        1
    );
    let keys: Vec<Option<String>> = double
        .lock()
        .unwrap()
        .received
        .iter()
        .map(|r| r.0.clone())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the retry carries the same Idempotency-Key"
    );
    assert_eq!(outbox_rows(&app, &order).await[0][0], "sent");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_marks_the_email_failed_for_the_organizer_to_see() {
    let double = Double::default();
    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let order = paid_order(&app, &double, &[422], 1, 1).await;
    let state = &app.server.state;
    outbox::run_once(state, chrono::Utc::now()).await.unwrap();
    outbox::run_once(state, chrono::Utc::now() + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(
        double.lock().unwrap().received.len(),
        1,
        "a 4xx is not retried"
    );
    let rows = outbox_rows(&app, &order).await;
    assert_eq!(rows[0][0], "failed");
    assert!(rows[0][1].contains("Invalid `to` field"), "{rows:?}");
    let admin = crate::common::admin();
    let event: Vec<String> = query(
        &app,
        "SELECT VALUE record::id(event) FROM type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    let rows = tickex::server::services::orders::event_orders(
        state,
        &admin,
        &event[0],
        &Default::default(),
    )
    .await
    .unwrap();
    let status = rows[0].email_status.clone().unwrap();
    assert!(status.starts_with("failed: HTTP 422"), "{status}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_sending_still_sends_once() {
    let double = Double::default();
    let mut settings = test_settings();
    settings.database_url = format!(
        "surrealkv://{}",
        settings.data_dir.join("mail.db").display()
    );
    let settings = resend::settings(double.clone(), settings).await;
    let app = spawn_with(settings.clone()).await;
    let order = paid_order(&app, &double, &[], 2, 1).await;
    // A worker claimed the row and died before it could send or record anything.
    app.sql("UPDATE outbox SET status = 'sending', lease_owner = 'dead-worker', lease_until = time::now() + 2m")
        .await;
    app.stop().await;
    // The embedded store releases its lock asynchronously.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let app = spawn_with(settings).await;
    let state = &app.server.state;
    assert_eq!(
        outbox::run_once(state, chrono::Utc::now()).await.unwrap(),
        0,
        "the lease holds"
    );
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert_eq!(
        outbox::run_once(state, later).await.unwrap(),
        1,
        "then it is taken over"
    );
    assert_eq!(double.lock().unwrap().received.len(), 1);
    assert_eq!(outbox_rows(&app, &order).await[0][0], "sent");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_works_once_within_the_hour_and_is_not_stored() {
    let double = Double::default();
    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let email = unique_email("forgetful");
    let mut other_device = register(&app, &email, false).await;
    let mut visitor = app.visitor();

    // Unknown and known emails get the same answer; only the known one gets mail.
    let sent = || double.lock().unwrap().received.len();
    let before = sent();
    let unknown = visitor
        .call::<RequestPasswordReset>(&[("email", "nobody@example.com")])
        .await;
    assert_eq!(unknown.status(), 200);
    assert_eq!(sent(), before, "no mail for an unknown address");
    let known = visitor
        .call::<RequestPasswordReset>(&[("email", &email)])
        .await;
    assert_eq!(known.status(), 200);
    let token = newest_token(&double, "Reset your TickEx password");
    assert_eq!(token.len(), 64);
    let stored: Vec<String> = query(&app, "SELECT VALUE token_hash FROM password_reset", &[]).await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token, "only a hash is stored");
    let everything: Vec<serde_json::Value> = query(
        &app,
        "RETURN [(SELECT * FROM password_reset), (SELECT * FROM outbox)]",
        &[],
    )
    .await;
    assert!(
        !format!("{everything:?}").contains(&token),
        "the token is nowhere in clear"
    );

    let response = visitor
        .call::<ResetPassword>(&[("token", &token), ("password", "a brand new secret")])
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert!(visitor.cookie.is_none(), "a reset does not sign in");
    assert!(other_device.me().await.is_none(), "other sessions ended");
    let login = visitor
        .call::<LogIn>(&[
            ("email", &email),
            ("password", "a brand new secret"),
            ("next", "/"),
        ])
        .await;
    assert!(login.status().is_success() || login.status().is_redirection());
    assert!(visitor.me().await.is_some());

    let again = visitor
        .call::<ResetPassword>(&[("token", &token), ("password", "yet another secret")])
        .await;
    assert!(
        matches!(app_error(again).await, AppError::Validation(_)),
        "single use"
    );

    // A second link, used after its hour.
    let mut anonymous = app.visitor();
    anonymous
        .call::<RequestPasswordReset>(&[("email", &email)])
        .await;
    let token = newest_token(&double, "Reset your TickEx password");
    let late = accounts::reset_password(
        &app.server.state.db,
        &token,
        tickex::domain::NewPassword::parse("too late secret".into()).unwrap(),
        chrono::Utc::now() + chrono::Duration::minutes(61),
    )
    .await;
    assert!(matches!(late, Err(AppError::Validation(_))), "{late:?}");
    app.stop().await;
}

/// The cap on reset emails lives in the database: two instances on one database share it,
/// although each has its own in-memory rate limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_emails_are_capped_across_instances() {
    let double = Double::default();
    let first = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let mut state = first.server.state.clone();
    state.throttles = std::sync::Arc::new(tickex::server::throttle::Throttles::new(10_000));
    let second = crate::common::serve(state).await;
    let victim = unique_email("victim");
    register(&first, &victim, false).await;
    let before = double.lock().unwrap().received.len();

    let ask = |app: &'static str| {
        let (first, second, victim) = (&first, &second, victim.clone());
        async move {
            let app = if app == "first" { first } else { second };
            app.visitor()
                .call::<RequestPasswordReset>(&[("email", &victim)])
                .await
        }
    };
    for app in ["first", "second", "first"] {
        assert_eq!(ask(app).await.status(), 200, "{app}");
    }
    let refused = ask("second").await;
    assert_eq!(refused.status(), 429);
    match app_error(refused).await {
        AppError::TooManyRequests(secs) => assert_eq!(secs, 3600),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        double.lock().unwrap().received.len(),
        before + 3,
        "three emails in the hour"
    );
    second.stop().await;
    first.stop().await;
}

/// Without a provider outside demo mode, emails wait in the outbox; admins see the backlog
/// (and that nothing can send it), nobody else does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_the_outbox_backlog() {
    use tickex::api::admin::GetOutboxBacklog;
    use tickex::api::auth::LogIn;
    let app = spawn_with(test_settings()).await;
    paid_order(&app, &Double::default(), &[], 1, 1).await;
    let admin_email = unique_email("admin");
    accounts::create_admin(
        &app.server.state.db,
        tickex::domain::Email::parse(&admin_email).unwrap(),
        tickex::domain::NewPassword::parse("admin password 1".into()).unwrap(),
    )
    .await
    .unwrap();
    let mut admin = app.visitor();
    admin
        .call::<LogIn>(&[("email", &admin_email), ("password", "admin password 1")])
        .await;
    let response = admin.call::<GetOutboxBacklog>(&[]).await;
    let backlog: tickex::domain::OutboxBacklog =
        serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(backlog.waiting, 1, "the ticket email waits");
    assert!(backlog.oldest_waiting.is_some());
    assert!(!backlog.provider_configured);
    let page = admin.get("/admin/users").await.text().await.unwrap();
    assert!(
        page.contains("1 email waiting to be sent"),
        "shown on the admin page"
    );
    assert!(page.contains("No email provider is set up"));

    let mut customer = register(&app, &unique_email("nosy"), false).await;
    assert_eq!(customer.call::<GetOutboxBacklog>(&[]).await.status(), 403);
    app.stop().await;
}

/// TickEx names itself to Resend; a request without a `User-Agent` is refused (the double
/// keeps Resend's documented contract), so every email above proves the header was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_requires_a_user_agent_and_tickex_sends_one() {
    let double = Double::default();
    let base = resend::spawn(double.clone()).await;
    let anonymous = reqwest::Client::new()
        .post(format!("{base}/emails"))
        .bearer_auth("re_test_key")
        .json(&serde_json::json!({ "to": "a@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
    assert!(anonymous.text().await.unwrap().contains("1010"));
    assert!(double.lock().unwrap().received.is_empty());

    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    paid_order(&app, &double, &[], 1, 1).await;
    let sent = outbox::run_once(&app.server.state, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(sent, 1);
    assert_eq!(
        double.lock().unwrap().received.len(),
        1,
        "accepted by the double"
    );
    app.stop().await;
}

/// A burst larger than Resend's rate limit drains at the provider's pace: the worker paces
/// itself, and the 429s it still meets (the double allows fewer than the worker sends) are
/// waited out, not counted as failures. Emails go out in the order they became due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_burst_of_a_thousand_drains_without_a_failure() {
    const BURST: usize = 1_000;
    let double = Double::default();
    double.lock().unwrap().per_second = Some(100);
    let mut settings = resend::settings(double.clone(), test_settings()).await;
    settings.email_rate_per_sec = 250;
    let app = spawn_with(settings).await;
    let state = &app.server.state;
    for i in 0..BURST {
        let email = tickex::server::email::Email {
            to: format!("guest{i:04}@example.com"),
            subject: format!("Burst {i:04}"),
            html: String::new(),
            text: "hello".into(),
            attachments: Vec::new(),
        };
        outbox::enqueue_text(state, &format!("burst/{i:04}"), &email)
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    let mut sent = 0;
    while sent < BURST && started.elapsed() < std::time::Duration::from_secs(90) {
        sent += outbox::run_once(state, chrono::Utc::now()).await.unwrap();
    }
    assert_eq!(sent, BURST);
    let drained = started.elapsed();
    // 1,000 emails at 100 a second: about ten seconds, never faster than the provider allows.
    assert!(drained >= std::time::Duration::from_secs(9), "{drained:?}");
    {
        let d = double.lock().unwrap();
        assert!(d.throttled > 0, "the storm of 429s happened");
        assert_eq!(d.received.len(), BURST, "each email accepted once");
        let first: Vec<&str> = d.received[..5]
            .iter()
            .map(|(_, _, body)| body["subject"].as_str().unwrap())
            .collect();
        assert_eq!(
            first,
            [
                "Burst 0000",
                "Burst 0001",
                "Burst 0002",
                "Burst 0003",
                "Burst 0004"
            ]
        );
    }
    let failed: Vec<String> = query(
        &app,
        "SELECT VALUE key FROM outbox WHERE status = 'failed'",
        &[],
    )
    .await;
    assert!(failed.is_empty(), "{failed:?}");
    app.stop().await;
}
