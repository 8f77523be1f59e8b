//! Issue 6: holding, paying, fulfilling and releasing, under concurrency and against a
//! local Stripe double that the real async-stripe client talks to.
use crate::common::stripe::Double;
use crate::common::{
    app_error, buyers, event_with, query, register, spawn_with, test_settings, unique_email,
    TestApp, Visitor,
};
use futures::future::join_all;
use tickex::api::orders::{Checkout, ConfirmPayment, RefundOrder};
use tickex::domain::CheckoutLine;
use tickex::error::AppError;
use tickex::server::config::{Settings, StripeSettings};
use tickex::server::payments::webhook;
use tickex::server::services::orders::{self, PaymentOutcome};

pub(crate) const WEBHOOK_SECRET: &str = "whsec_test_secret";

/// `[available, held, sold, capacity]` of a ticket type.
pub(crate) async fn ledger(app: &TestApp, ticket_type: &str) -> Vec<i64> {
    let rows: Vec<Vec<i64>> = query(
        app,
        "SELECT VALUE [available, held, sold, capacity] FROM type::record('ticket_type', $id)",
        &[("id", ticket_type)],
    )
    .await;
    rows.into_iter().next().unwrap()
}

fn assert_balanced(l: &[i64]) {
    assert_eq!(
        l[0] + l[1] + l[2],
        l[3],
        "available + held + sold == capacity: {l:?}"
    );
    assert!(l.iter().all(|n| *n >= 0), "never negative: {l:?}");
}

fn line(ticket_type: &str, quantity: u32) -> CheckoutLine {
    CheckoutLine {
        ticket_type_id: ticket_type.to_owned(),
        quantity,
    }
}

fn surrealkv_settings() -> Settings {
    let mut settings = test_settings();
    settings.database_url = format!(
        "surrealkv://{}",
        settings.data_dir.join("race.db").display()
    );
    settings
}

/// The SurrealDB guard itself, without TickEx code around it: 300 concurrent guarded
/// increments on one record lose nothing and never pass the limit.
async fn guard_holds_on(settings: Settings) {
    let app = spawn_with(settings).await;
    let db = &app.server.state.db;
    db.execute(
        "CREATE counter:guard SET available = 200, taken = 0",
        Default::default(),
    )
    .await
    .unwrap();
    let attempts = (0..300).map(|_| async {
        db.execute(
            "BEGIN TRANSACTION;
             LET $u = (UPDATE counter:guard SET available -= 1, taken += 1
                WHERE available >= 1 RETURN AFTER);
             IF array::len($u) = 0 { THROW 'sold_out:guard' };
             COMMIT TRANSACTION;",
            Default::default(),
        )
        .await
    });
    let results = join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 200, "exactly the stock was taken");
    let rows: Vec<Vec<i64>> = query(
        &app,
        "SELECT VALUE [available, taken] FROM counter:guard",
        &[],
    )
    .await;
    assert_eq!(rows[0], vec![0, 200], "no lost update");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_guard_loses_no_update_in_memory() {
    guard_holds_on(test_settings()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_guard_loses_no_update_on_surrealkv() {
    guard_holds_on(surrealkv_settings()).await;
}

/// 200 buyers race for 50 seats, three times over on a fresh database each run.
async fn race_for_the_last_seats(settings: impl Fn() -> Settings) {
    for run in 0..3 {
        let app = spawn_with(settings()).await;
        let (event, types) = event_with(&app, &[("Standard", "20", "50")]).await;
        let people = buyers(&app, 200).await;
        let state = &app.server.state;
        // A second app instance on the same database: its buyers meet the first
        // instance's only in the database.
        let mut second = state.clone();
        second.holds = Default::default();
        let instances = [state, &second];
        let now = chrono::Utc::now();
        let attempts = people.iter().enumerate().map(|(i, buyer)| {
            let lines = vec![line(&types[0], 1)];
            let event = event.clone();
            let state = instances[i % 2];
            async move { crate::common::checkout_as(state, buyer, &event, &lines, now).await }
        });
        let results = join_all(attempts).await;
        let won: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(won.len(), 50, "run {run}: exactly the capacity was held");
        for r in &results {
            if let Err(e) = r {
                assert_eq!(
                    e,
                    &AppError::Validation("Sorry, “Standard” is sold out.".into()),
                    "run {run}"
                );
            }
        }
        assert_eq!(ledger(&app, &types[0]).await, vec![0, 50, 0, 50]);

        // Everyone who holds a seat pays, concurrently: all 50 are sold, none twice.
        let paid = won.iter().map(|url| {
            let id = url
                .trim_start_matches("/pay/demo/")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
            async move { orders::payment_succeeded(state, &id, None, "test").await }
        });
        for outcome in join_all(paid).await {
            assert_eq!(outcome.unwrap(), PaymentOutcome::Fulfilled);
        }
        assert_eq!(ledger(&app, &types[0]).await, vec![0, 0, 50, 50]);
        let tickets: Vec<i64> = query(
            &app,
            "RETURN [array::len((SELECT VALUE id FROM ticket))]",
            &[],
        )
        .await;
        assert_eq!(tickets, vec![50]);
        let violations = tickex::server::services::check::check(
            &state.db,
            chrono::Utc::now(),
            chrono::Duration::seconds(30),
        )
        .await
        .unwrap();
        assert!(violations.is_empty(), "run {run}: {violations:?}");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_buyers_for_fifty_seats_in_memory() {
    race_for_the_last_seats(test_settings).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_buyers_for_fifty_seats_on_surrealkv() {
    race_for_the_last_seats(surrealkv_settings).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_orders_over_two_ticket_types_are_all_or_nothing() {
    let app = spawn_with(test_settings()).await;
    let (event, types) = event_with(&app, &[("Floor", "10", "40"), ("Balcony", "15", "30")]).await;
    let people = buyers(&app, 120).await;
    let mut second = app.server.state.clone();
    second.holds = Default::default();
    let instances = [&app.server.state, &second];
    let now = chrono::Utc::now();
    let attempts = people.iter().enumerate().map(|(i, buyer)| {
        let state = instances[i % 2];
        let lines = vec![
            line(&types[0], (i % 3) as u32 + 1),
            line(&types[1], (i % 2) as u32 + 1),
        ];
        let event = event.clone();
        async move {
            (
                lines.clone(),
                crate::common::checkout_as(state, buyer, &event, &lines, now).await,
            )
        }
    });
    let results = join_all(attempts).await;
    let mut expected = [0_i64, 0];
    for (lines, result) in &results {
        if result.is_ok() {
            expected[0] += i64::from(lines[0].quantity);
            expected[1] += i64::from(lines[1].quantity);
        }
    }
    let floor = ledger(&app, &types[0]).await;
    let balcony = ledger(&app, &types[1]).await;
    assert_balanced(&floor);
    assert_balanced(&balcony);
    assert_eq!(
        floor[1], expected[0],
        "held equals what successful orders asked for"
    );
    assert_eq!(balcony[1], expected[1]);
    assert!(floor[1] <= 40 && balcony[1] <= 30);
    assert!(
        floor[0] < 3 || balcony[0] < 2,
        "the race ran until one type could not serve a whole order: {floor:?} {balcony:?}"
    );
    app.stop().await;
}

// ---- Stripe mode, against a local double --------------------------------------------------

pub(crate) async fn stripe_app(double: Double) -> TestApp {
    let mut settings = test_settings();
    settings.stripe = Some(StripeSettings {
        secret_key: "sk_test_double".into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        api_base: crate::common::stripe::spawn(double).await,
    });
    spawn_with(settings).await
}

/// Calls the `checkout` server function as the ticket selector form does.
async fn request_checkout(
    visitor: &mut Visitor<'_>,
    event: &str,
    ticket_type: &str,
    quantity: &str,
) -> reqwest::Response {
    visitor
        .call::<Checkout>(&[
            ("event_id", event),
            ("lines[0][ticket_type_id]", ticket_type),
            ("lines[0][quantity]", quantity),
        ])
        .await
}

/// Checks out `quantity` of `ticket_type` as `buyer` over HTTP; returns the order id.
pub(crate) async fn buy(
    buyer: &mut Visitor<'_>,
    event: &str,
    ticket_type: &str,
    quantity: &str,
) -> String {
    let response = request_checkout(buyer, event, ticket_type, quantity).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let url: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    // Follow the redirect to the (double's) Checkout page, as the browser would.
    let page = buyer.app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .starts_with("Stripe Checkout double: pay for cs_test_"));
    let email = buyer.me().await.unwrap().email;
    let ids: Vec<String> = query(
        buyer.app,
        "SELECT VALUE record::id(id) FROM purchase WHERE buyer.email = $email ORDER BY created_at DESC LIMIT 1",
        &[("email", &email)],
    )
    .await;
    ids[0].clone()
}

/// A Checkout Session event as Stripe sends it for `order`: its amount and currency (in
/// Stripe's lower case) are the order's, as they are for a session TickEx created.
pub(crate) async fn session_event(
    app: &TestApp,
    kind: &str,
    event_id: &str,
    order: &str,
    session: &str,
    payment_status: &str,
) -> String {
    let totals: Vec<(i64, String)> = query(
        app,
        "SELECT VALUE [total_minor, currency] FROM type::record('purchase', $id)",
        &[("id", order)],
    )
    .await;
    let (amount, currency) = totals[0].clone();
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": { "object": {
            "id": session, "object": "checkout.session",
            "client_reference_id": order,
            "payment_status": payment_status,
            "payment_intent": format!("pi_{session}"),
            "amount_total": amount,
            "currency": currency.to_lowercase(),
        }}
    })
    .to_string()
}

pub(crate) async fn deliver(app: &TestApp, body: &str) -> u16 {
    let header = webhook::sign(
        body.as_bytes(),
        WEBHOOK_SECRET,
        chrono::Utc::now().timestamp(),
    );
    deliver_with(app, body, Some(&header)).await
}

async fn deliver_with(app: &TestApp, body: &str, header: Option<&str>) -> u16 {
    let mut request = app
        .client
        .post(format!("{}{}", app.base, webhook::PATH))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(header) = header {
        request = request.header("stripe-signature", header);
    }
    request.send().await.unwrap().status().as_u16()
}

pub(crate) async fn status_of(app: &TestApp, order: &str) -> String {
    let rows: Vec<String> = query(
        app,
        "SELECT VALUE status FROM type::record('purchase', $id)",
        &[("id", order)],
    )
    .await;
    rows[0].clone()
}

pub(crate) async fn count_for(app: &TestApp, table: &str, order: &str) -> i64 {
    let rows: Vec<i64> = query(
        app,
        &format!("RETURN [array::len((SELECT VALUE id FROM {table} WHERE purchase = type::record('purchase', $id)))]"),
        &[("id", order)],
    )
    .await;
    rows.first().copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_paid_order_from_five_concurrent_webhooks_and_the_success_page() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "10")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "3").await;
    assert_eq!(ledger(&app, &types[0]).await, vec![7, 3, 0, 10]);

    let (session, form, key) = double.lock().unwrap().sessions[0].clone();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        field("client_reference_id").as_deref(),
        Some(order.as_str())
    );
    assert_eq!(field("line_items[0][quantity]").as_deref(), Some("3"));
    assert_eq!(
        field("line_items[0][price_data][unit_amount]").as_deref(),
        Some("2500")
    );
    assert!(field("customer_email").unwrap().starts_with("buyer-"));
    assert!(field("success_url")
        .unwrap()
        .contains("session_id={CHECKOUT_SESSION_ID}"));
    assert_eq!(
        key,
        Some(format!("checkout-{order}")),
        "idempotency key from the order id"
    );

    // Reads never write: Stripe's return links only show the page and offer the action.
    let left = buyer.get(&format!("/orders/{order}?cancelled=1")).await;
    assert_eq!(left.status(), 200);
    assert!(left.text().await.unwrap().contains("Cancel this order"));
    let returned = buyer
        .get(&format!("/orders/{order}?session_id={session}"))
        .await;
    assert!(returned
        .text()
        .await
        .unwrap()
        .contains("Check my payment now"));
    assert_eq!(status_of(&app, &order).await, "pending");

    double.lock().unwrap().paid.insert(session.clone());
    let body = session_event(
        &app,
        "checkout.session.completed",
        "evt_paid_1",
        &order,
        &session,
        "paid",
    )
    .await;
    // The buyer's return (its explicit confirm) races five deliveries of the webhook.
    let deliveries = (0..5).map(|_| deliver(&app, &body));
    let form = [("id", order.as_str()), ("session_id", session.as_str())];
    let confirm = buyer.call::<ConfirmPayment>(&form);
    let (statuses, confirmed) = tokio::join!(join_all(deliveries), confirm);
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert!(
        confirmed.status().is_success() || confirmed.status().is_redirection(),
        "{}",
        confirmed.status()
    );
    let page = buyer.get(&format!("/orders/{order}")).await;
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Your tickets are below"));

    assert_eq!(status_of(&app, &order).await, "paid");
    // Each check may ask Stripe: ten in a burst, then one every few seconds.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(buyer.call::<ConfirmPayment>(&form).await.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429));
    assert_eq!(
        count_for(&app, "ticket", &order).await,
        3,
        "tickets issued once"
    );
    assert_eq!(
        count_for(&app, "outbox", &order).await,
        1,
        "one email queued"
    );
    let paid_logs: Vec<i64> = query(
        &app,
        "RETURN [array::len((SELECT VALUE id FROM purchase_log WHERE purchase = type::record('purchase', $id) AND to_status = 'paid'))]",
        &[("id", &order)],
    )
    .await;
    assert_eq!(paid_logs, vec![1]);
    assert_eq!(ledger(&app, &types[0]).await, vec![7, 0, 3, 10]);
    let codes: Vec<String> = query(
        &app,
        "SELECT VALUE code FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert!(codes.iter().all(|c| c.len() >= 26));

    // Cancelling the event refunds its paid orders through Stripe and voids the tickets.
    let admin = crate::common::admin();
    let cancelled = tickex::server::services::events::change_status(
        &app.server.state,
        &admin,
        &event,
        tickex::domain::EventAction::Cancel,
    )
    .await
    .unwrap();
    assert_eq!(cancelled.status, tickex::domain::EventStatus::Cancelled);
    assert_eq!((cancelled.refunded, cancelled.refunds_failed), (1, 0));
    assert_eq!(status_of(&app, &order).await, "refunded");
    let refunds = double.lock().unwrap().refunds.clone();
    assert_eq!(
        refunds,
        vec![(format!("pi_{session}"), Some(format!("refund-{order}-1")))]
    );
    let statuses: Vec<String> = query(
        &app,
        "SELECT VALUE status FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(statuses, vec!["void"; 3]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_and_failed_payments_end_in_the_right_state() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;

    // Expired arrives before completed: the late payment still gets its seats.
    let first = buy(&mut buyer, &event, &types[0], "2").await;
    let session = double.lock().unwrap().sessions[0].0.clone();
    let expired = session_event(
        &app,
        "checkout.session.expired",
        "evt_exp_1",
        &first,
        &session,
        "unpaid",
    )
    .await;
    assert_eq!(deliver(&app, &expired).await, 200);
    assert_eq!(status_of(&app, &first).await, "expired");
    assert_eq!(ledger(&app, &types[0]).await, vec![4, 0, 0, 4]);
    let completed = session_event(
        &app,
        "checkout.session.completed",
        "evt_done_1",
        &first,
        &session,
        "paid",
    )
    .await;
    assert_eq!(deliver(&app, &completed).await, 200);
    assert_eq!(status_of(&app, &first).await, "paid");
    assert_eq!(ledger(&app, &types[0]).await, vec![2, 0, 2, 4]);

    // Unpaid completion (a bank debit), then the debit fails: seats go back.
    let second = buy(&mut buyer, &event, &types[0], "1").await;
    let session = double.lock().unwrap().sessions[1].0.clone();
    let unpaid = session_event(
        &app,
        "checkout.session.completed",
        "evt_unpaid_2",
        &second,
        &session,
        "unpaid",
    )
    .await;
    assert_eq!(deliver(&app, &unpaid).await, 200);
    assert_eq!(status_of(&app, &second).await, "pending");
    let failed = session_event(
        &app,
        "checkout.session.async_payment_failed",
        "evt_fail_2",
        &second,
        &session,
        "unpaid",
    )
    .await;
    assert_eq!(deliver(&app, &failed).await, 200);
    assert_eq!(status_of(&app, &second).await, "cancelled");
    assert_eq!(ledger(&app, &types[0]).await, vec![2, 0, 2, 4]);

    // A late payment after the seats were resold: refunded exactly once.
    let third = buy(&mut buyer, &event, &types[0], "2").await;
    let session = double.lock().unwrap().sessions[2].0.clone();
    let expired = session_event(
        &app,
        "checkout.session.expired",
        "evt_exp_3",
        &third,
        &session,
        "unpaid",
    )
    .await;
    assert_eq!(deliver(&app, &expired).await, 200);
    let mut other = register(&app, &unique_email("other"), false).await;
    let resold = buy(&mut other, &event, &types[0], "2").await;
    assert_eq!(ledger(&app, &types[0]).await, vec![0, 2, 2, 4]);
    let late = session_event(
        &app,
        "checkout.session.completed",
        "evt_late_3",
        &third,
        &session,
        "paid",
    )
    .await;
    let deliveries = (0..5).map(|_| deliver(&app, &late));
    assert!(join_all(deliveries).await.iter().all(|s| *s == 200));
    assert_eq!(status_of(&app, &third).await, "refunded");
    assert_eq!(count_for(&app, "ticket", &third).await, 0);
    let refunds = double.lock().unwrap().refunds.clone();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].0, format!("pi_{session}"));
    assert_eq!(refunds[0].1, Some(format!("refund-{third}-1")));
    assert_eq!(
        status_of(&app, &resold).await,
        "pending",
        "the other buyer keeps their seats"
    );
    assert_eq!(ledger(&app, &types[0]).await, vec![0, 2, 2, 4]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_stale_webhooks_change_nothing() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "1").await;
    let session = double.lock().unwrap().sessions[0].0.clone();
    let body = session_event(
        &app,
        "checkout.session.completed",
        "evt_forged",
        &order,
        &session,
        "paid",
    )
    .await;
    let now = chrono::Utc::now().timestamp();

    let wrong_secret = webhook::sign(body.as_bytes(), "whsec_attacker", now);
    assert_eq!(deliver_with(&app, &body, Some(&wrong_secret)).await, 400);
    assert_eq!(deliver_with(&app, &body, None).await, 400);
    let stale = webhook::sign(body.as_bytes(), WEBHOOK_SECRET, now - 301);
    assert_eq!(deliver_with(&app, &body, Some(&stale)).await, 400);
    let signed = webhook::sign(body.as_bytes(), WEBHOOK_SECRET, now);
    let tampered = body.replacen("paid", "paiD", 1);
    assert_eq!(tampered.len(), body.len());
    assert_eq!(deliver_with(&app, &tampered, Some(&signed)).await, 400);

    assert_eq!(status_of(&app, &order).await, "pending");
    assert_eq!(count_for(&app, "ticket", &order).await, 0);
    let recorded: Vec<i64> = query(
        &app,
        "RETURN [array::len((SELECT VALUE id FROM webhook_event))]",
        &[],
    )
    .await;
    assert_eq!(recorded, vec![0]);
    // An event type TickEx does not handle is acknowledged.
    let other = serde_json::json!({"id": "evt_other", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}).to_string();
    assert_eq!(deliver(&app, &other).await, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_failing_releases_the_hold_with_a_clear_message() {
    let double = Double::default();
    double.lock().unwrap().fail_sessions = true;
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let response = request_checkout(&mut buyer, &event, &types[0], "2").await;
    let error = app_error(response).await;
    assert!(
        matches!(error, AppError::PaymentUnavailable(_)),
        "{error:?}"
    );
    assert!(error.to_string().contains("Nothing was charged"));
    assert!(!error.to_string().to_lowercase().contains("boom"));
    assert_eq!(ledger(&app, &types[0]).await, vec![4, 0, 0, 4]);
    let statuses: Vec<String> = query(&app, "SELECT VALUE status FROM purchase", &[]).await;
    assert_eq!(statuses, vec!["cancelled"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_expires_lapsed_holds_and_refunds_need_the_organizer() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let lapsed = buy(&mut buyer, &event, &types[0], "2").await;
    let paid = buy(&mut buyer, &event, &types[0], "1").await;
    let paid_session = double.lock().unwrap().sessions[1].0.clone();
    double.lock().unwrap().paid.insert(paid_session.clone());

    // Both holds lapse; the paid one is fulfilled by the sweep, the other released.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let expired = orders::sweep(&app.server.state, later).await.unwrap();
    assert_eq!(expired, 1);
    assert_eq!(status_of(&app, &lapsed).await, "expired");
    assert_eq!(status_of(&app, &paid).await, "paid");
    assert_eq!(double.lock().unwrap().expired.len(), 1);
    assert_eq!(ledger(&app, &types[0]).await, vec![3, 0, 1, 4]);

    // The buyer cannot refund; the organizer can, once (the second call is refused).
    let error = app_error(buyer.call::<RefundOrder>(&[("id", &paid)]).await).await;
    assert_eq!(error, AppError::Forbidden);
    let organizer_email: Vec<String> =
        query(&app, "SELECT VALUE organizer.email FROM event", &[]).await;
    let mut organizer = app.visitor();
    let response = organizer
        .call::<tickex::api::auth::LogIn>(&[
            ("email", &organizer_email[0]),
            ("password", "correct horse battery"),
            ("next", "/"),
        ])
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    let response = organizer.call::<RefundOrder>(&[("id", &paid)]).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let error = app_error(organizer.call::<RefundOrder>(&[("id", &paid)]).await).await;
    assert!(matches!(error, AppError::Validation(_)));
    assert_eq!(status_of(&app, &paid).await, "refunded");
    assert_eq!(double.lock().unwrap().refunds.len(), 1);
    let void: Vec<String> = query(
        &app,
        "SELECT VALUE status FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &paid)],
    )
    .await;
    assert_eq!(void, vec!["void"]);
    assert_eq!(ledger(&app, &types[0]).await, vec![4, 0, 0, 4]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_buyers_give_their_details_first_and_free_orders_need_no_payment() {
    let app = spawn_with(test_settings()).await;
    let (event, types) = event_with(&app, &[("Community", "0", "5")]).await;
    // Without an account, a name and an email are needed (a guest checkout), and nothing is
    // held before they are given.
    let mut anonymous = app.visitor();
    let response = request_checkout(&mut anonymous, &event, &types[0], "2").await;
    let error = app_error(response).await;
    assert!(error.message_for("guest_email").is_some(), "{error:?}");
    assert_eq!(
        ledger(&app, &types[0]).await,
        vec![5, 0, 0, 5],
        "nothing held"
    );

    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let response = request_checkout(&mut buyer, &event, &types[0], "2").await;
    let url: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert!(
        url.starts_with("/orders/"),
        "free orders skip payment: {url}"
    );
    assert_eq!(ledger(&app, &types[0]).await, vec![3, 0, 2, 5]);
    let page = buyer.get(&url).await.text().await.unwrap();
    assert!(
        page.contains("Your tickets are below") && page.contains("<svg"),
        "tickets with QR codes"
    );

    // Asking for more than is left names the ticket type and holds nothing.
    let response = request_checkout(&mut buyer, &event, &types[0], "4").await;
    assert_eq!(
        app_error(response).await,
        AppError::Validation("Sorry, only 3 “Community” tickets are left.".into())
    );
    assert_eq!(ledger(&app, &types[0]).await, vec![3, 0, 2, 5]);
    app.stop().await;
}

/// The webhook trusts only the order's own session, for the order's amount: another
/// session on the same Stripe account (a Payment Link, a coupon) that names the order in
/// `client_reference_id` pays nothing and releases nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_for_a_foreign_session_or_a_wrong_amount_changes_nothing() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "2").await;
    let session = double.lock().unwrap().sessions[0].0.clone();
    let forged = |kind: &'static str, id: &'static str, change: fn(&mut serde_json::Value)| {
        forged_event(&app, &order, &session, kind, id, change)
    };
    let foreign = forged("checkout.session.completed", "evt_f1", |o| {
        o["id"] = "cs_someone_else".into()
    })
    .await;
    let cheaper = forged("checkout.session.completed", "evt_f2", |o| {
        o["amount_total"] = 100.into()
    })
    .await;
    let other_currency = forged("checkout.session.completed", "evt_f3", |o| {
        o["currency"] = "usd".into()
    })
    .await;
    let free = forged("checkout.session.completed", "evt_f4", |o| {
        o["payment_status"] = "no_payment_required".into()
    })
    .await;
    let foreign_expiry = forged("checkout.session.expired", "evt_f5", |o| {
        o["id"] = "cs_someone_else".into()
    })
    .await;
    for body in [&foreign, &cheaper, &other_currency, &free, &foreign_expiry] {
        assert_eq!(
            deliver(&app, body).await,
            200,
            "acknowledged, so Stripe stops"
        );
        assert_eq!(status_of(&app, &order).await, "pending", "{body}");
    }
    assert_eq!(ledger(&app, &types[0]).await, vec![2, 2, 0, 4]);
    assert_eq!(count_for(&app, "ticket", &order).await, 0);

    let genuine = session_event(
        &app,
        "checkout.session.completed",
        "evt_ok",
        &order,
        &session,
        "paid",
    )
    .await;
    assert_eq!(deliver(&app, &genuine).await, 200);
    assert_eq!(status_of(&app, &order).await, "paid");
    app.stop().await;
}

/// A genuine session event for `order`, then changed by `change` (its `data.object`).
async fn forged_event(
    app: &TestApp,
    order: &str,
    session: &str,
    kind: &str,
    id: &str,
    change: fn(&mut serde_json::Value),
) -> String {
    let body = session_event(app, kind, id, order, session, "paid").await;
    let mut value: serde_json::Value = serde_json::from_str(&body).unwrap();
    change(&mut value["data"]["object"]);
    value.to_string()
}

/// The Stripe double keeps Stripe's request contract, so TickEx's requests are proven to
/// meet it: every checkout test above ran through these checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stripe_double_keeps_stripes_request_contract() {
    let double = Double::default();
    let base = crate::common::stripe::spawn(double.clone()).await;
    let client = reqwest::Client::new();
    let post = |key: Option<&str>, version: bool, body: &'static str| {
        let mut request = client
            .post(format!("{base}/v1/checkout/sessions"))
            .header("authorization", "Bearer sk_test_123")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if version {
            request = request.header("stripe-version", "2024-06-20");
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send()
    };
    let anonymous = client
        .post(format!("{base}/v1/checkout/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        post(None, false, "mode=payment").await.unwrap().status(),
        400
    );
    let json = client
        .post(format!("{base}/v1/checkout/sessions"))
        .header("authorization", "Bearer sk_test_123")
        .header("stripe-version", "2024-06-20")
        .json(&serde_json::json!({ "mode": "payment" }))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400, "form bodies only");

    let first = post(Some("checkout-o1"), true, "mode=payment")
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = post(Some("checkout-o1"), true, "mode=payment")
        .await
        .unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"], "the same answer, replayed");
    assert_eq!(double.lock().unwrap().sessions.len(), 1, "created once");
    let other = post(Some("checkout-o1"), true, "mode=subscription")
        .await
        .unwrap();
    assert_eq!(other.status(), 400);
    let error: serde_json::Value = other.json().await.unwrap();
    assert_eq!(error["error"]["type"], "idempotency_error");
}
