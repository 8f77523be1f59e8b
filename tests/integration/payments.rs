//! Issue 15: the payments inbox (stored events, failures shown to admins, "process again"),
//! reconciliation with Stripe, and the Stripe events that change a paid order (partial and
//! dashboard refunds, payments that succeed later).
use crate::checkout::{buy, deliver, ledger, session_event, status_of, stripe_app, WEBHOOK_SECRET};
use crate::common::stripe::Double;
use crate::common::{app_error, event_with, query, register, test_settings, unique_email, TestApp};
use tickex::api::admin::{GetPaymentEvents, ProcessPaymentEvent};
use tickex::domain::{PaymentEventRow, PaymentEventStatus, ReplayOutcome};
use tickex::error::AppError;
use tickex::server::services::orders::{self, Settled};

/// A signed-in admin.
async fn admin_of(app: &TestApp) -> crate::common::Visitor<'_> {
    let email = unique_email("admin");
    let mut admin = register(app, &email, false).await;
    let _: Vec<String> = query(
        app,
        "UPDATE user SET role = 'admin' WHERE email = $email RETURN VALUE role",
        &[("email", &email)],
    )
    .await;
    assert_eq!(admin.me().await.unwrap().role, tickex::domain::Role::Admin);
    admin
}

/// The inbox row of a Stripe event: status, attempts, and whether its body was kept.
async fn inbox_row(app: &TestApp, event_id: &str) -> (String, i64, bool) {
    let rows: Vec<(String, i64, bool)> = query(
        app,
        "SELECT VALUE [status, attempts, body != NONE] FROM type::record('webhook_event', $id)",
        &[("id", event_id)],
    )
    .await;
    rows[0].clone()
}

/// A `charge.refunded` event as Stripe sends it after a refund made in its dashboard.
fn charge_refunded(event_id: &str, session: &str, amount: i64, refunded_so_far: i64) -> String {
    serde_json::json!({
        "id": event_id, "object": "event", "type": "charge.refunded",
        "data": { "object": {
            "id": format!("ch_{session}"), "object": "charge",
            "payment_intent": format!("pi_{session}"),
            "amount": amount, "amount_refunded": refunded_so_far,
            "refunded": refunded_so_far == amount, "currency": "eur",
        }}
    })
    .to_string()
}

async fn revenue(app: &TestApp, event: &str) -> i64 {
    let rows: Vec<i64> = query(
        app,
        "SELECT VALUE revenue_minor FROM type::record('event', $id)",
        &[("id", event)],
    )
    .await;
    rows[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_payment_event_is_kept_shown_to_admins_and_processed_again() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "2")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    // The buyer's hold lapses and the seats are sold to someone else; then their payment
    // arrives late and must be refunded, but Stripe fails the refund once.
    let late = buy(&mut buyer, &event, &types[0], "2").await;
    let session = double.lock().unwrap().sessions[0].0.clone();
    let expired = session_event(
        &app,
        "checkout.session.expired",
        "evt_exp",
        &late,
        &session,
        "unpaid",
    )
    .await;
    assert_eq!(deliver(&app, &expired).await, 200);
    let mut other = register(&app, &unique_email("other"), false).await;
    buy(&mut other, &event, &types[0], "2").await;
    let paid = session_event(
        &app,
        "checkout.session.completed",
        "evt_late",
        &late,
        &session,
        "paid",
    )
    .await;
    double.lock().unwrap().fail_refunds = 1;
    assert_eq!(
        deliver(&app, &paid).await,
        500,
        "Stripe is asked to deliver again"
    );
    assert_eq!(
        inbox_row(&app, "evt_late").await,
        ("failed".into(), 1, true)
    );
    assert!(double.lock().unwrap().refunds.is_empty());

    // The admin sees it, with Stripe's answer, on the page and through the server function.
    let mut admin = admin_of(&app).await;
    let response = admin.call::<GetPaymentEvents>(&[]).await;
    let rows: Vec<PaymentEventRow> = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].id, "evt_late");
    assert_eq!(rows[0].kind, "checkout.session.completed");
    assert_eq!(rows[0].status, PaymentEventStatus::Failed);
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("unknown error"),
        "{rows:?}"
    );
    let page = admin.get("/admin/payments").await.text().await.unwrap();
    assert!(page.contains("evt_late") && page.contains("Process again"));
    // Not for anyone else.
    let error = app_error(buyer.call::<GetPaymentEvents>(&[]).await).await;
    assert_eq!(error, AppError::Forbidden);
    let error = app_error(
        buyer
            .call::<ProcessPaymentEvent>(&[("event_id", "evt_late")])
            .await,
    )
    .await;
    assert_eq!(error, AppError::Forbidden);

    // "Process again" succeeds now: the refund goes out under a new idempotency key
    // (Stripe would replay the 500 to the old one), exactly once.
    let response = admin
        .call::<ProcessPaymentEvent>(&[("event_id", "evt_late")])
        .await;
    let outcome: ReplayOutcome = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(outcome, ReplayOutcome::Processed);
    assert_eq!(status_of(&app, &late).await, "refunded");
    assert_eq!(
        inbox_row(&app, "evt_late").await,
        ("processed".into(), 2, false),
        "the raw body (personal data) goes once processed"
    );
    let refunds = double.lock().unwrap().refunds.clone();
    assert_eq!(
        refunds,
        vec![(format!("pi_{session}"), Some(format!("refund-{late}-2")))]
    );
    // Again, or Stripe's own retry: a no-op.
    let response = admin
        .call::<ProcessPaymentEvent>(&[("event_id", "evt_late")])
        .await;
    let outcome: ReplayOutcome = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(outcome, ReplayOutcome::AlreadyProcessed);
    assert_eq!(deliver(&app, &paid).await, 200);
    assert_eq!(double.lock().unwrap().refunds.len(), 1);
    let response = admin.call::<GetPaymentEvents>(&[]).await;
    let rows: Vec<PaymentEventRow> = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    let error = app_error(
        admin
            .call::<ProcessPaymentEvent>(&[("event_id", "evt_unknown")])
            .await,
    )
    .await;
    assert_eq!(error, AppError::NotFound("payment event".into()));
    assert_eq!(ledger(&app, &types[0]).await, vec![0, 2, 0, 2]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_and_dashboard_refunds_and_late_bank_payments_follow_stripe() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "2").await;
    let session = double.lock().unwrap().sessions[0].0.clone();

    // A bank debit: the session completes unpaid, the money follows later.
    let unpaid = session_event(
        &app,
        "checkout.session.completed",
        "evt_c",
        &order,
        &session,
        "unpaid",
    )
    .await;
    assert_eq!(deliver(&app, &unpaid).await, 200);
    assert_eq!(status_of(&app, &order).await, "pending");
    let succeeded = session_event(
        &app,
        "checkout.session.async_payment_succeeded",
        "evt_s",
        &order,
        &session,
        "paid",
    )
    .await;
    assert_eq!(deliver(&app, &succeeded).await, 200);
    assert_eq!(status_of(&app, &order).await, "paid");
    assert_eq!(revenue(&app, &event).await, 5000);

    // Part refunded in Stripe's dashboard: the order keeps its tickets, the revenue drops by
    // exactly that; repeated and older events change nothing twice.
    assert_eq!(
        deliver(&app, &charge_refunded("evt_r1", &session, 5000, 1000)).await,
        200
    );
    assert_eq!(revenue(&app, &event).await, 4000);
    assert_eq!(
        deliver(&app, &charge_refunded("evt_r1", &session, 5000, 1000)).await,
        200
    );
    assert_eq!(
        deliver(&app, &charge_refunded("evt_r0", &session, 5000, 500)).await,
        200
    );
    assert_eq!(revenue(&app, &event).await, 4000);
    assert_eq!(
        deliver(&app, &charge_refunded("evt_r2", &session, 5000, 1500)).await,
        200
    );
    assert_eq!(revenue(&app, &event).await, 3500);
    assert_eq!(status_of(&app, &order).await, "paid");
    let page = buyer
        .get(&format!("/orders/{order}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("15.00") && page.contains("refunded to you"),
        "{page}"
    );
    let day: Vec<i64> = query(&app, "SELECT VALUE revenue_minor FROM sales_day", &[]).await;
    assert_eq!(day, vec![3500]);

    // The rest refunded in the dashboard: the order is refunded, its seats back on sale,
    // and the revenue is what was never refunded: nothing.
    assert_eq!(
        deliver(&app, &charge_refunded("evt_r3", &session, 5000, 5000)).await,
        200
    );
    assert_eq!(status_of(&app, &order).await, "refunded");
    assert_eq!(revenue(&app, &event).await, 0);
    let day: Vec<i64> = query(&app, "SELECT VALUE revenue_minor FROM sales_day", &[]).await;
    assert_eq!(day, vec![0]);
    assert_eq!(ledger(&app, &types[0]).await, vec![4, 0, 0, 4]);
    assert!(
        double.lock().unwrap().refunds.is_empty(),
        "TickEx sends no refund of its own"
    );
    let period = chrono::Duration::seconds(60);
    let violations =
        tickex::server::services::check::check(&app.server.state.db, chrono::Utc::now(), period)
            .await
            .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    app.stop().await;
}

/// A database from before the inbox and partial refunds: its orders and Stripe events lack
/// the new fields (a field's DEFAULT fills only new records), and must still be updatable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_and_events_from_before_the_upgrade_stay_usable() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "1").await;
    app.sql(
        "REMOVE FIELD refunded_minor ON purchase; REMOVE FIELD refund_attempts ON purchase;
         UPDATE purchase UNSET refunded_minor, refund_attempts;
         REMOVE FIELD status ON webhook_event; REMOVE FIELD attempts ON webhook_event;
         CREATE webhook_event:evt_old SET kind = 'checkout.session.expired', processed_at = time::now();
         UPDATE schema_file SET hash = 'before' WHERE record::id(id) IN ['005_orders', '009_refunds'];",
    )
    .await;
    app.server.state.db.apply_schema().await.unwrap();
    let fields: Vec<(i64, i64)> = query(
        &app,
        "SELECT VALUE [refunded_minor, refund_attempts] FROM type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(fields, vec![(0, 0)]);
    let old = inbox_row(&app, "evt_old").await;
    assert_eq!((old.0.as_str(), old.1), ("processed", 0));
    // The old order still moves: its lapsed hold is released.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(orders::sweep(&app.server.state, later).await.unwrap(), 1);
    assert_eq!(status_of(&app, &order).await, "expired");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_fulfils_what_stripe_took_and_leaves_running_holds() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "6")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let paid = buy(&mut buyer, &event, &types[0], "1").await;
    let waiting = buy(&mut buyer, &event, &types[0], "1").await;
    let session = double.lock().unwrap().sessions[0].0.clone();
    // Paid at Stripe, and its webhook never came.
    double.lock().unwrap().paid.insert(session);
    let settled = orders::reconcile(&app.server.state, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        settled,
        vec![
            (paid.clone(), Settled::Fulfilled),
            (waiting.clone(), Settled::Waiting)
        ]
    );
    assert_eq!(status_of(&app, &paid).await, "paid");
    assert_eq!(status_of(&app, &waiting).await, "pending");
    // Past its hold, the unpaid one is expired (and its session with it).
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let settled = orders::reconcile(&app.server.state, later).await.unwrap();
    assert_eq!(settled, vec![(waiting.clone(), Settled::Expired)]);
    assert_eq!(double.lock().unwrap().expired.len(), 1);
    assert_eq!(ledger(&app, &types[0]).await, vec![5, 0, 1, 6]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_replay_and_reconcile_run_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let double = Double::default();
    let api_base = crate::common::stripe::spawn(double.clone()).await;
    let mut settings = test_settings();
    settings.database_url = format!("surrealkv://{}", dir.path().join("db").display());
    settings.stripe = Some(tickex::server::config::StripeSettings {
        secret_key: "sk_test_double".into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        api_base: api_base.clone(),
    });
    let app = crate::common::spawn_with(settings.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "4")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "1").await;
    let session = double.lock().unwrap().sessions[0].0.clone();
    let paid = session_event(
        &app,
        "checkout.session.completed",
        "evt_cli",
        &order,
        &session,
        "paid",
    )
    .await;
    let waiting = buy(&mut buyer, &event, &types[0], "2").await;
    assert_eq!(deliver(&app, &paid).await, 200);
    let second = double.lock().unwrap().sessions[1].0.clone();
    double.lock().unwrap().paid.insert(second);
    app.stop().await;

    // The embedded store releases its lock asynchronously after the server stopped.
    let run = |args: &[&str]| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_tickex"))
                .args(args)
                .env("TICKEX_CONFIG", dir.path().join("missing.toml"))
                .env("TICKEX_DATABASE_URL", &settings.database_url)
                .env("TICKEX_DB_DATABASE", &settings.db_database)
                .env("TICKEX_DATA_DIR", dir.path())
                .env("TICKEX_STRIPE_SECRET_KEY", "sk_test_double")
                .env("TICKEX_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
                .env("TICKEX_STRIPE_API_BASE", &api_base)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            if !text.contains("already locked") || std::time::Instant::now() > deadline {
                break (out.status.code(), text);
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    let (code, text) = run(&["payments", "replay", "evt_cli"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("evt_cli: was processed already"), "{text}");
    let (code, text) = run(&["payments", "replay", "evt_nope"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("could not find that payment event"), "{text}");
    let (code, text) = run(&["payments", "reconcile"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!("order {waiting}: paid at Stripe: fulfilled")),
        "{text}"
    );
    assert!(text.contains("1 pending order(s) checked"), "{text}");
    let (code, text) = run(&["payments"]);
    assert_eq!(code, Some(2), "{text}");
    let (code, text) = run(&["check"]);
    assert_eq!(code, Some(0), "{text}");
}
