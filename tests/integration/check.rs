//! Issue 9: `tickex check` finds every broken purchase invariant, and nothing on a healthy
//! database.
use crate::common::{admin, buyers, event_with, query, spawn_app, TestApp};
use tickex::domain::CheckoutLine;
use tickex::server::services::{check, orders};

pub(crate) async fn violations(app: &TestApp) -> Vec<String> {
    check::check(
        &app.server.state.db,
        chrono::Utc::now(),
        chrono::Duration::seconds(30),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_on_real_sales_and_names_each_broken_rule() {
    let app = spawn_app().await;
    let (event, types) = event_with(&app, &[("Standard", "25", "20"), ("VIP", "80", "5")]).await;
    let people = buyers(&app, 4).await;
    let mut paid = Vec::new();
    for (i, buyer) in people.iter().enumerate() {
        let line = CheckoutLine {
            ticket_type_id: types[i % 2].clone(),
            quantity: 2,
        };
        let url = crate::common::checkout_as(
            &app.server.state,
            buyer,
            &event,
            &[line],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let order = url
            .trim_start_matches("/pay/demo/")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        if i < 3 {
            orders::payment_succeeded(&app.server.state, &order, None, "test")
                .await
                .unwrap();
            paid.push(order);
        }
    }
    orders::refund_order(&app.server.state, &admin(), &paid[2])
        .await
        .unwrap();
    assert_eq!(
        violations(&app).await,
        Vec::<String>::new(),
        "a healthy database"
    );

    // Each corruption is reported by the rule it breaks. The schema itself refuses a ledger
    // that does not add up; drop that guard as a buggy writer or a hand edit would.
    app.sql("DEFINE FIELD OVERWRITE sold ON ticket_type TYPE int")
        .await;
    app.sql(&format!(
        "UPDATE ticket_type:`{}` SET sold += 1, available -= 1",
        types[0]
    ))
    .await;
    let found = violations(&app).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("sold 3 but 2 valid"), "{found:?}");
    app.sql(&format!(
        "UPDATE ticket_type:`{}` SET sold -= 1, held += 1",
        types[0]
    ))
    .await;
    let found = violations(&app).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("held 1 but pending orders hold 0"),
        "{found:?}"
    );
    app.sql(&format!("UPDATE ticket_type:`{}` SET held -= 1", types[0]))
        .await;
    assert!(violations(&app).await[0].contains("!= capacity 20"));
    app.sql(&format!(
        "UPDATE ticket_type:`{}` SET available += 1",
        types[0]
    ))
    .await;
    assert!(violations(&app).await.is_empty());

    let reference: Vec<String> = query(
        &app,
        "SELECT VALUE reference FROM type::record('purchase', $id)",
        &[("id", &paid[0])],
    )
    .await;
    app.sql(&format!(
        "DELETE outbox WHERE purchase = purchase:`{}`",
        paid[0]
    ))
    .await;
    let found = violations(&app).await;
    assert_eq!(
        found,
        vec![format!(
            "paid order {}: no ticket email in the outbox",
            reference[0]
        )]
    );

    app.sql("REMOVE INDEX ticket_code ON ticket").await;
    app.sql(&format!(
        "LET $codes = (SELECT VALUE code FROM ticket WHERE purchase = purchase:`{}`);
         UPDATE ticket SET code = $codes[0] WHERE purchase = purchase:`{}`",
        paid[0], paid[1]
    ))
    .await;
    assert!(violations(&app)
        .await
        .iter()
        .any(|v| v.contains("used by 3 tickets")));

    app.sql("UPDATE purchase SET hold_expires_at = time::now() - 1h WHERE status = 'pending'")
        .await;
    assert!(violations(&app)
        .await
        .iter()
        .any(|v| v.contains("the sweeper has not expired it")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_their_token_and_count_the_purchase_path() {
    let off = spawn_app().await;
    assert_eq!(
        off.get("/metrics").await.status(),
        404,
        "off without a token"
    );
    off.stop().await;

    let mut settings = crate::common::test_settings();
    settings.metrics_token = Some(tickex::server::metrics::MetricsToken::new(
        "scrape-me".into(),
    ));
    let app = crate::common::spawn_with(settings).await;
    let scrape = |token: &'static str| {
        app.client
            .get(format!("{}/metrics", app.base))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(app.get("/metrics").await.status(), 401);
    assert_eq!(scrape("scrape-you").await.unwrap().status(), 401);

    let (event, types) = event_with(&app, &[("Standard", "25", "2")]).await;
    let people = buyers(&app, 2).await;
    let line = |quantity| CheckoutLine {
        ticket_type_id: types[0].clone(),
        quantity,
    };
    let url = crate::common::checkout_as(
        &app.server.state,
        &people[0],
        &event,
        &[line(2)],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let order = url
        .trim_start_matches("/pay/demo/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    orders::payment_succeeded(&app.server.state, &order, None, "test")
        .await
        .unwrap();
    assert!(crate::common::checkout_as(
        &app.server.state,
        &people[1],
        &event,
        &[line(1)],
        chrono::Utc::now()
    )
    .await
    .is_err());
    assert_eq!(app.get("/healthz").await.status(), 200);

    let response = scrape("scrape-me").await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for expected in [
        "tickex_checkouts_total 1",
        "tickex_fulfilments_total 1",
        "tickex_sold_out_rejections_total 1",
        "tickex_outbox_backlog 1",
        "tickex_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 1",
        "method=\"POST\",route=\"/api/create_event",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(!text.contains("scrape-me"));
    app.stop().await;
}

/// Event pages come from a one-second cache; this instance's own sales clear it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_pages_show_this_instances_sales_at_once_and_others_within_a_second() {
    let app = spawn_app().await;
    let (event, types) = event_with(&app, &[("Standard", "25", "5")]).await;
    let slugs: Vec<String> = query(
        &app,
        "SELECT VALUE slug FROM type::record('event', $id)",
        &[("id", &event)],
    )
    .await;
    let page = format!("/events/{}", slugs[0]);
    let shows = |text: &'static str| {
        let app = &app;
        let page = page.clone();
        async move { app.get(&page).await.text().await.unwrap().contains(text) }
    };
    assert!(shows("Only 5 left").await);
    let buyer = buyers(&app, 1).await.remove(0);
    let line = CheckoutLine {
        ticket_type_id: types[0].clone(),
        quantity: 1,
    };
    crate::common::checkout_as(
        &app.server.state,
        &buyer,
        &event,
        &[line],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(shows("Only 4 left").await, "a sale here shows at once");

    // A sale through another instance (here: straight to the database) shows within 1 s.
    app.sql(&format!(
        "UPDATE ticket_type:`{}` SET available -= 1, sold += 1",
        types[0]
    ))
    .await;
    assert!(shows("Only 4 left").await, "served from the cache");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(shows("Only 3 left").await);
    app.stop().await;
}
