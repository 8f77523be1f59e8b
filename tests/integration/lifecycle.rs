//! Issue 16: an order's life to the end. A cancelled event stops selling (a late payment
//! is refunded, never fulfilled), refunds that fail are owed and retried until Stripe
//! takes them, and buyers are told by email: refunded, event cancelled, event moved.
use crate::checkout::{buy, deliver, session_event, status_of, stripe_app};
use crate::common::resend::{self, Double as ResendDouble};
use crate::common::stripe::Double;
use crate::common::{
    admin, buyers, event_with, paid_order_of, query, register, spawn_with, test_settings,
    unique_email, TestApp,
};
use base64::Engine;
use chrono::{Duration, Utc};
use tickex::domain::EventAction;
use tickex::server::email::outbox;
use tickex::server::services::events::{self, EventUpload, ImageUpload};
use tickex::server::services::orders;

/// `[kind, status]` of every email queued for the order, oldest first.
async fn emails_of(app: &TestApp, order: &str) -> Vec<Vec<String>> {
    query(
        app,
        "SELECT VALUE [kind, status] FROM outbox WHERE purchase = type::record('purchase', $id)
         ORDER BY created_at ASC",
        &[("id", order)],
    )
    .await
}

async fn valid_tickets(app: &TestApp, order: &str) -> usize {
    let rows: Vec<String> = query(
        app,
        "SELECT VALUE reference FROM ticket WHERE purchase = type::record('purchase', $id) AND status = 'valid'",
        &[("id", order)],
    )
    .await;
    rows.len()
}

async fn cancel(app: &TestApp, event: &str) -> tickex::domain::StatusChange {
    events::change_status(&app.server.state, &admin(), event, EventAction::Cancel)
        .await
        .unwrap()
}

/// A buyer's Checkout Session is open when the organizer cancels the event; the buyer pays
/// anyway. The payment is refunded, no ticket is issued and no ticket email is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_after_the_event_was_cancelled_is_refunded_and_never_fulfilled() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "10")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "2").await;
    let session = double.lock().unwrap().sessions[0].0.clone();

    let change = cancel(&app, &event).await;
    assert_eq!(change.holds_cancelled, 1);
    assert_eq!(status_of(&app, &order).await, "cancelled");
    assert!(
        double.lock().unwrap().expired.contains(&session),
        "the open session is expired at Stripe"
    );

    let paid = session_event(
        &app,
        "checkout.session.completed",
        "evt_after_cancel",
        &order,
        &session,
        "paid",
    )
    .await;
    assert_eq!(deliver(&app, &paid).await, 200);
    assert_eq!(status_of(&app, &order).await, "refunded");
    assert_eq!(valid_tickets(&app, &order).await, 0);
    let refunds = double.lock().unwrap().refunds.clone();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].0, format!("pi_{session}"));
    assert_eq!(
        emails_of(&app, &order).await,
        vec![vec!["event_cancelled".to_owned(), "pending".to_owned()]],
        "told about the cancellation, no ticket email"
    );
    // A repeat of the event changes nothing and refunds nothing twice.
    assert_eq!(deliver(&app, &paid).await, 200);
    assert_eq!(double.lock().unwrap().refunds.len(), 1);
    app.stop().await;
}

/// The payment and the cancellation race: the order is still pending when the payment is
/// reported, but its event is cancelled. Fulfilment refuses it inside its transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fulfilment_refuses_an_order_of_a_cancelled_event_and_the_refunds_job_settles_it() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "10")]).await;
    let mut first = register(&app, &unique_email("first"), false).await;
    let racing = buy(&mut first, &event, &types[0], "1").await;
    let mut second = register(&app, &unique_email("second"), false).await;
    let forgotten = buy(&mut second, &event, &types[0], "1").await;
    // The status changed, but the server stopped before it settled the orders.
    app.sql(&format!("UPDATE event:`{event}` SET status = 'cancelled'"))
        .await;

    let outcome =
        orders::payment_succeeded(&app.server.state, &racing, Some("pi_race".into()), "test")
            .await
            .unwrap();
    assert_eq!(outcome, orders::PaymentOutcome::RefundedLate);
    assert_eq!(status_of(&app, &racing).await, "refunded");
    assert_eq!(valid_tickets(&app, &racing).await, 0);
    // The refunds job finds the order the cancellation never reached.
    orders::retry_refunds(&app.server.state, Utc::now())
        .await
        .unwrap();
    assert_eq!(status_of(&app, &forgotten).await, "cancelled");
    let ledger = crate::checkout::ledger(&app, &types[0]).await;
    assert_eq!(ledger, vec![10, 0, 0, 10], "every seat back on sale");
    assert_eq!(double.lock().unwrap().refunds.len(), 1);
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}

/// Stripe fails the refund of a cancelled event's order twice. The refund stays owed (the
/// organizer sees it), is retried with backoff, and goes out on the third attempt, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_failing_twice_is_owed_retried_and_sent_once() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "10")]).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "2").await;
    let session = double.lock().unwrap().sessions[0].0.clone();
    let paid = session_event(
        &app,
        "checkout.session.completed",
        "evt_paid",
        &order,
        &session,
        "paid",
    )
    .await;
    assert_eq!(deliver(&app, &paid).await, 200);
    assert_eq!(status_of(&app, &order).await, "paid");

    double.lock().unwrap().fail_refunds = 2;
    let change = cancel(&app, &event).await;
    assert_eq!((change.refunded, change.refunds_failed), (1, 1));
    assert!(
        change
            .summary()
            .contains("1 refund failed at the payment provider"),
        "{}",
        change.summary()
    );
    assert_eq!(status_of(&app, &order).await, "refunded");
    assert_eq!(valid_tickets(&app, &order).await, 0);
    let state = &app.server.state;
    let owed = events::editor_data(state, &admin(), &event)
        .await
        .unwrap()
        .refunds_owed;
    assert_eq!(owed, 1, "the organizer sees the refund still owed");

    // Not due yet: the job leaves it alone.
    assert_eq!(orders::retry_refunds(state, Utc::now()).await.unwrap(), 0);
    assert_eq!(
        double.lock().unwrap().fail_refunds,
        1,
        "no attempt was made"
    );
    // Due: the second attempt fails, the third goes through.
    assert_eq!(
        orders::retry_refunds(state, Utc::now() + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        orders::retry_refunds(state, Utc::now() + Duration::hours(3))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        double.lock().unwrap().refunds,
        vec![(format!("pi_{session}"), Some(format!("refund-{order}-3")))],
        "one refund, under the third attempt's key"
    );
    assert_eq!(
        orders::retry_refunds(state, Utc::now() + Duration::days(2))
            .await
            .unwrap(),
        0
    );
    let owed = events::editor_data(state, &admin(), &event)
        .await
        .unwrap()
        .refunds_owed;
    assert_eq!(owed, 0);
    let log: Vec<String> = query(
        &app,
        "SELECT VALUE note ?? '' FROM purchase_log WHERE purchase = type::record('purchase', $id) ORDER BY at",
        &[("id", &order)],
    )
    .await;
    assert!(
        log.iter()
            .any(|n| n.contains("accepted by the payment provider")),
        "{log:?}"
    );
    app.stop().await;
}

/// The emails buyers get: a refund with its amount; a change of date or place (to holders
/// of valid tickets only, with a calendar file); a ticket email still queued when the order
/// is refunded is never sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buyers_are_told_of_refunds_and_changes_and_a_refunded_orders_tickets_are_not_sent() {
    let mail = ResendDouble::default();
    let app = spawn_with(resend::settings(mail.clone(), test_settings()).await).await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "10")]).await;
    let people = buyers(&app, 2).await;
    let mut paid = Vec::new();
    for buyer in &people {
        paid.push(paid_order_of(&app, buyer, &event, &types[0], 2).await);
    }
    // The first order is refunded before its ticket email went out.
    orders::refund_order(state, &admin(), &paid[0])
        .await
        .unwrap();
    assert_eq!(
        emails_of(&app, &paid[0]).await,
        vec![
            vec!["tickets".to_owned(), "cancelled".to_owned()],
            vec!["refund".to_owned(), "pending".to_owned()]
        ]
    );

    // The organizer moves the event by a day and to another hall.
    let mut form = events::editor_data(state, &admin(), &event)
        .await
        .unwrap()
        .form;
    let later = |local: &str| {
        let at = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").unwrap();
        (at + Duration::days(1))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    form.starts_at = later(&form.starts_at);
    form.ends_at = later(&form.ends_at);
    form.venue = "Hall B".into();
    let upload = EventUpload {
        form: form.clone(),
        image: ImageUpload::None,
    };
    events::update_event(state, &admin(), &event, upload, Utc::now())
        .await
        .unwrap();
    // A second edit before the email went out does not queue a second one.
    form.address = "Side Street 2, Berlin".into();
    let upload = EventUpload {
        form,
        image: ImageUpload::None,
    };
    events::update_event(state, &admin(), &event, upload, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        emails_of(&app, &paid[1]).await.len(),
        2,
        "tickets, then one change email"
    );
    assert_eq!(
        emails_of(&app, &paid[0]).await.len(),
        2,
        "a refunded order is not told"
    );

    outbox::run_once(state, Utc::now()).await.unwrap();
    let received = mail.lock().unwrap().received.clone();
    let subjects: Vec<String> = received
        .iter()
        .map(|(_, _, body)| body["subject"].as_str().unwrap().to_owned())
        .filter(|subject| !subject.starts_with("Confirm your email"))
        .collect();
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.starts_with("Your tickets"))
            .count(),
        1,
        "{subjects:?}"
    );
    let titled = |prefix: &str| {
        received
            .iter()
            .map(|(_, _, body)| body)
            .find(|b| b["subject"].as_str().unwrap().starts_with(prefix))
            .unwrap()
            .clone()
    };
    let refund = titled("Refund");
    assert_eq!(refund["to"][0], people[0].email.as_str());
    assert!(
        refund["html"].as_str().unwrap().contains("€50.00"),
        "the amount refunded"
    );
    let change = titled("Changed");
    assert_eq!(change["to"][0], people[1].email.as_str());
    let text = change["text"].as_str().unwrap();
    assert!(text.contains("Hall B, Side Street 2, Berlin"), "{text}");
    let calendar = change["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["content_type"] == "text/calendar")
        .expect("a calendar file");
    let ics = base64::engine::general_purpose::STANDARD
        .decode(calendar["content"].as_str().unwrap())
        .unwrap();
    let ics = String::from_utf8(ics).unwrap();
    let (starts_at,): (chrono::DateTime<Utc>,) = {
        let rows: Vec<chrono::DateTime<Utc>> = query(
            &app,
            "SELECT VALUE starts_at FROM type::record('event', $id)",
            &[("id", &event)],
        )
        .await;
        (rows[0],)
    };
    assert!(
        ics.contains(&format!("DTSTART:{}", starts_at.format("%Y%m%dT%H%M%SZ"))),
        "{ics}"
    );
    assert!(
        ics.contains("LOCATION:Hall B\\, Side Street 2\\, Berlin"),
        "{ics}"
    );
    app.stop().await;
}
