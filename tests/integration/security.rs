//! Safe by default: what an attacker gets from a default start of the binary.
use crate::common::{
    app_error, event_with, query, register, spawn_demo_app, spawn_production, test_settings,
    unique_email, Visitor,
};
use leptos::server_fn::ServerFn;
use tickex::api::auth::{GetCurrentUser, IsDemoMode, LogIn, RequestPasswordReset};
use tickex::api::orders::{Checkout, ListDevMailbox, PayDemoOrder};
use tickex::error::AppError;

/// Without a mail provider outside demo mode, the dev mailbox does not exist and a reset
/// link is never stored: an anonymous visitor cannot read one to take an account.
#[tokio::test]
async fn a_default_start_has_no_mailbox_and_stores_no_reset_link() {
    let app = spawn_production(test_settings()).await;
    let victim = unique_email("admin-victim");
    register(&app, &victim, true).await;

    let mut anonymous = app.visitor();
    let asked = anonymous
        .call::<RequestPasswordReset>(&[("email", &victim)])
        .await;
    assert!(asked.status().is_success() || asked.status().is_redirection());
    let texts: Vec<String> = query(
        &app,
        "SELECT VALUE key FROM outbox WHERE kind = 'text'",
        &[],
    )
    .await;
    assert!(texts.is_empty(), "a reset link was stored: {texts:?}");
    let reset_rows: Vec<String> =
        query(&app, "SELECT VALUE record::id(id) FROM password_reset", &[]).await;
    assert_eq!(reset_rows.len(), 1, "the reset itself exists, as a hash");

    let listed = anonymous.call::<ListDevMailbox>(&[]).await;
    assert!(
        listed.status() == 401 || listed.status() == 404,
        "{}",
        listed.status()
    );
    let signed_in = register(&app, &unique_email("curious"), false).await;
    let mut signed_in = signed_in;
    let listed = signed_in.call::<ListDevMailbox>(&[]).await;
    assert_eq!(listed.status(), 404, "no mailbox outside demo mode");
    assert_eq!(app.get("/dev/mailbox/anything").await.status(), 404);

    let demo: bool = serde_json::from_str(
        &anonymous
            .call::<IsDemoMode>(&[])
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(!demo);
    assert!(!shows_demo_banner(&app).await);
    app.stop().await;
}

/// In demo mode the mailbox exists, but shows a user only the emails sent to them.
#[tokio::test]
async fn the_demo_mailbox_shows_each_user_only_their_own_emails() {
    let app = spawn_demo_app().await;
    assert!(shows_demo_banner(&app).await);
    let ada_email = unique_email("ada");
    let mut ada = register(&app, &ada_email, false).await;
    let mut eve = register(&app, &unique_email("eve"), false).await;
    let mut anonymous = app.visitor();
    anonymous
        .call::<RequestPasswordReset>(&[("email", &ada_email)])
        .await;
    let ids: Vec<String> = query(
        &app,
        "SELECT VALUE record::id(id) FROM outbox
         WHERE recipient = $to AND string::starts_with(key, 'password-reset/')",
        &[("to", &ada_email)],
    )
    .await;
    assert_eq!(
        ids.len(),
        1,
        "the reset email (beside the confirmation link)"
    );

    assert_eq!(anonymous.call::<ListDevMailbox>(&[]).await.status(), 401);
    let eves: Vec<tickex::domain::DevEmail> =
        serde_json::from_str(&eve.call::<ListDevMailbox>(&[]).await.text().await.unwrap()).unwrap();
    assert!(eves.iter().all(|e| e.to != ada_email), "{eves:?}");
    let adas: Vec<tickex::domain::DevEmail> =
        serde_json::from_str(&ada.call::<ListDevMailbox>(&[]).await.text().await.unwrap()).unwrap();
    assert!(adas.iter().any(|e| e.id == ids[0]));

    let path = format!("/dev/mailbox/{}", ids[0]);
    assert_eq!(app.get(&path).await.status(), 404, "anonymous");
    assert_eq!(eve.get(&path).await.status(), 404, "someone else");
    let own = ada.get(&path).await;
    assert_eq!(own.status(), 200);
    assert!(own.text().await.unwrap().contains("reset-password?token="));
    app.stop().await;
}

/// Without Stripe keys outside demo mode nothing can be paid, so no ticket is given away:
/// paid checkout says payments are not set up, holds nothing, and the demo page is gone.
#[tokio::test]
async fn paid_tickets_are_never_free_without_a_payment_provider() {
    let app = spawn_production(test_settings()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "10"), ("Free", "0", "10")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let refused = checkout(&mut buyer, &event, &types[0], "2").await;
    assert_eq!(refused.status(), 422);
    match app_error(refused).await {
        AppError::Validation(message) => assert!(message.contains("payments are not set up")),
        other => panic!("{other:?}"),
    }
    let orders: Vec<String> = query(&app, "SELECT VALUE record::id(id) FROM purchase", &[]).await;
    assert!(orders.is_empty(), "nothing held: {orders:?}");
    let paid = buyer.call::<PayDemoOrder>(&[("id", "anything")]).await;
    assert_eq!(paid.status(), 404);

    let free = checkout(&mut buyer, &event, &types[1], "1").await;
    assert_eq!(free.status(), 200, "free events still work");
    let statuses: Vec<String> = query(&app, "SELECT VALUE status FROM purchase", &[]).await;
    assert_eq!(statuses, vec!["paid"]);
    app.stop().await;
}

/// A form on another site cannot post to TickEx (login CSRF included), whatever the
/// cookie does; the signed Stripe webhook is exempt.
#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_production(test_settings()).await;
    let email = unique_email("csrf");
    register(&app, &email, false).await;
    let log_in = |headers: Vec<(&'static str, String)>| {
        let mut request = app
            .client
            .post(format!("{}{}", app.base, <LogIn as ServerFn>::PATH))
            .form(&[
                ("email", email.as_str()),
                ("password", "correct horse battery"),
            ]);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let from_evil = log_in(vec![("origin", "https://evil.example".into())])
        .await
        .unwrap();
    assert_eq!(from_evil.status(), 403);
    assert!(
        from_evil.headers().get("set-cookie").is_none(),
        "no session was made"
    );
    let fetch_metadata = log_in(vec![("sec-fetch-site", "cross-site".into())])
        .await
        .unwrap();
    assert_eq!(fetch_metadata.status(), 403);
    let same_site = log_in(vec![("origin", app.base.clone())]).await.unwrap();
    assert!(
        same_site.headers().get("set-cookie").is_some(),
        "{}",
        same_site.status()
    );
    let webhook = app
        .client
        .post(format!("{}/api/webhooks/stripe", app.base))
        .header("origin", "https://stripe.example")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_ne!(
        webhook.status(),
        403,
        "the webhook is judged by its signature"
    );
    app.stop().await;
}

/// Made-up HTTP methods do not mint metric series; answers that may carry a user's data
/// are never cached.
#[tokio::test]
async fn made_up_methods_and_caching() {
    let mut settings = test_settings();
    settings.metrics_token = Some(tickex::server::metrics::MetricsToken::new(
        "scrape-me".into(),
    ));
    let app = spawn_production(settings).await;
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        app.client
            .request(method, format!("{}/", app.base))
            .send()
            .await
            .unwrap();
    }
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .header("authorization", "Bearer scrape-me")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("MADEUP"), "{metrics}");
    assert!(metrics.contains("method=\"other\""));

    let mut visitor = register(&app, &unique_email("cache"), false).await;
    let answer = visitor.call::<GetCurrentUser>(&[]).await;
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let page = visitor.get("/tickets").await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "http: no HSTS"
    );
    app.stop().await;
}

/// Guessing one account's password is throttled: after five attempts (right or wrong) for
/// one email, sign-in answers 429 with `Retry-After`, before any password is hashed.
/// Registrations from one address are capped too (the default limit, not the tests').
#[tokio::test]
async fn sign_in_and_sign_up_are_throttled() {
    let mut settings = test_settings();
    settings.account_requests_per_address = 10;
    let app = spawn_production(settings).await;
    let email = unique_email("target");
    register(&app, &email, false).await;
    let mut attacker = app.visitor();
    for attempt in 0..5 {
        let response = attacker
            .call::<LogIn>(&[("email", &email), ("password", "wrong guess")])
            .await;
        assert_eq!(response.status(), 422, "attempt {attempt}");
    }
    let refused = attacker
        .call::<LogIn>(&[("email", &email), ("password", "correct horse battery")])
        .await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(matches!(
        app_error(refused).await,
        AppError::TooManyRequests(_)
    ));
    let other = attacker
        .call::<LogIn>(&[
            ("email", "someone-else@example.com"),
            ("password", "x".repeat(100_000).as_str()),
        ])
        .await;
    assert_eq!(
        other.status(),
        422,
        "another account is not locked; a huge password is refused cheaply"
    );

    let mut signups = Vec::new();
    for i in 0..12 {
        let mut visitor = app.visitor();
        let email = unique_email(&format!("flood{i}"));
        let response = visitor
            .call::<tickex::api::auth::RegisterUser>(&[
                ("name", "Flood"),
                ("email", email.as_str()),
                ("password", "correct horse battery"),
            ])
            .await;
        signups.push(response.status().as_u16());
    }
    // One registration above came first; ten in all fit the burst.
    assert_eq!(
        signups.iter().filter(|s| **s == 429).count(),
        3,
        "{signups:?}"
    );
    app.stop().await;
}

/// One account cannot hold an event's stock hostage with unpaid orders: three at a time.
#[tokio::test]
async fn one_account_holds_at_most_three_unpaid_orders_per_event() {
    let app = crate::common::spawn_app().await;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let mut buyer = register(&app, &unique_email("hoarder"), false).await;
    let mut orders = Vec::new();
    for attempt in 0..4 {
        let response = checkout(&mut buyer, &event, &types[0], "2").await;
        if attempt < 3 {
            assert_eq!(response.status(), 200, "attempt {attempt}");
            let url: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
            orders.push(
                url.trim_start_matches("/pay/demo/")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
        } else {
            assert_eq!(response.status(), 422);
            match app_error(response).await {
                AppError::Validation(message) => assert!(message.contains("waiting for payment")),
                other => panic!("{other:?}"),
            }
        }
    }
    let held: Vec<i64> = query(
        &app,
        "SELECT VALUE held FROM type::record('ticket_type', $id)",
        &[("id", &types[0])],
    )
    .await;
    assert_eq!(held, vec![6], "the refused order held nothing");
    let cancelled = buyer
        .call::<tickex::api::orders::CancelPayment>(&[("id", orders[0].as_str())])
        .await;
    assert!(cancelled.status().is_success() || cancelled.status().is_redirection());
    let again = checkout(&mut buyer, &event, &types[0], "1").await;
    assert_eq!(again.status(), 200, "a freed slot can be used");
    app.stop().await;
}

/// Checks out `quantity` of one ticket type as the event page's form does.
async fn checkout(
    buyer: &mut Visitor<'_>,
    event: &str,
    ticket_type: &str,
    quantity: &str,
) -> reqwest::Response {
    buyer
        .call::<Checkout>(&[
            ("event_id", event),
            ("lines[0][ticket_type_id]", ticket_type),
            ("lines[0][quantity]", quantity),
        ])
        .await
}

async fn shows_demo_banner(app: &crate::common::TestApp) -> bool {
    app.get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains("Demo mode")
}

/// Registrations from one client address are capped; behind a trusted proxy the client is
/// the address the proxy saw, and from anyone else `X-Forwarded-For` changes nothing.
#[tokio::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    async fn sign_up(app: &crate::common::TestApp, forwarded_for: &str) -> u16 {
        let email = unique_email("proxied");
        app.client
            .post(format!(
                "{}{}",
                app.base,
                tickex::api::auth::RegisterUser::PATH
            ))
            .header("x-forwarded-for", forwarded_for)
            .form(&[
                ("name", "Proxied"),
                ("email", email.as_str()),
                ("password", "correct horse battery"),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
    let mut settings = test_settings();
    settings.account_requests_per_address = 3;
    settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let behind_proxy = spawn_production(settings.clone()).await;
    for _ in 0..3 {
        assert_eq!(sign_up(&behind_proxy, "6.6.6.6, 203.0.113.1").await, 200);
    }
    assert_eq!(
        sign_up(&behind_proxy, "7.7.7.7, 203.0.113.1").await,
        429,
        "the same client, whatever it claims"
    );
    assert_eq!(
        sign_up(&behind_proxy, "203.0.113.2").await,
        200,
        "another client behind the proxy"
    );
    behind_proxy.stop().await;

    settings.trusted_proxies = Vec::new();
    let direct = spawn_production(settings).await;
    let statuses = [
        sign_up(&direct, "203.0.113.1").await,
        sign_up(&direct, "203.0.113.2").await,
        sign_up(&direct, "203.0.113.3").await,
        sign_up(&direct, "203.0.113.4").await,
    ];
    assert_eq!(statuses, [200, 200, 200, 429], "a forged header is ignored");
    direct.stop().await;
}

/// The event form's upload is refused before its body is read when the caller may not
/// create events: the answer comes while the client is still "sending" 10 MB.
#[tokio::test]
async fn uploads_are_refused_before_the_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::common::spawn_app().await;
    let customer = register(&app, &unique_email("not-an-organizer"), false).await;
    let cookie = customer.cookie.clone().unwrap();
    for (who, cookie, status) in [
        ("anonymous", None, "401"),
        ("customer", Some(cookie), "403"),
    ] {
        let address = app.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let cookie_line = cookie
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {address}\r\n{cookie_line}\
             Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 10000000\r\n\r\n--x\r\n",
            tickex::api::events::CreateEvent::PATH
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 512];
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
                .await
                .unwrap_or_else(|_| panic!("{who}: no answer while the body is still coming"))
                .unwrap();
        let answer = String::from_utf8_lossy(&answer[..read]).to_string();
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{who}: {answer}"
        );
    }
    app.stop().await;
}
