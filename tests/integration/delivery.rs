//! Issue 15: Resend's delivery webhooks (Standard Webhooks / Svix signatures) mark the
//! order's ticket email delivered, bounced or complained; the organizer corrects a bounced
//! address and sends the tickets again.
use crate::common::resend::{self, delivery_event, Double};
use crate::common::{admin, query, spawn_with, test_settings, TestApp};
use crate::email::paid_order;
use tickex::domain::Email;
use tickex::error::AppError;
use tickex::server::email::{outbox, webhook};
use tickex::server::services::orders;

async fn post(app: &TestApp, headers: &[(String, String)], body: &str) -> u16 {
    let mut request = app
        .client
        .post(format!("{}{}", app.base, webhook::PATH))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn email_status(app: &TestApp, order: &str) -> String {
    let event: Vec<String> = query(
        app,
        "SELECT VALUE record::id(event) FROM type::record('purchase', $id)",
        &[("id", order)],
    )
    .await;
    let rows = orders::event_orders(&app.server.state, &admin(), &event[0], &Default::default())
        .await
        .unwrap();
    let listed = rows[0].email_status.clone().unwrap();
    let shown = orders::managed_order(&app.server.state, &admin(), order)
        .await
        .unwrap()
        .email_status
        .unwrap();
    assert_eq!(listed, shown, "the list and the order page agree");
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_marks_the_order_and_the_organizer_sends_to_a_corrected_address() {
    let double = Double::default();
    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let state = &app.server.state;
    let order = paid_order(&app, &double, &[], 1, 1).await;
    assert_eq!(
        outbox::run_once(state, chrono::Utc::now()).await.unwrap(),
        1
    );
    assert_eq!(email_status(&app, &order).await, "sent");
    let first_to = double.lock().unwrap().received[0].2["to"][0]
        .as_str()
        .unwrap()
        .to_owned();

    // Forged, stale or unsigned reports change nothing.
    let (headers, body) = delivery_event("email.bounced", "email_1", &first_to);
    let forged = vec![
        headers[0].clone(),
        headers[1].clone(),
        (
            "svix-signature".to_owned(),
            webhook::sign("msg_x", 1, &body, "whsec_b3RoZXI="),
        ),
    ];
    assert_eq!(post(&app, &forged, &body).await, 400);
    assert_eq!(post(&app, &[], &body).await, 400);
    let tampered = body.replace("email.bounced", "email.delivered");
    assert_eq!(post(&app, &headers, &tampered).await, 400);
    assert_eq!(email_status(&app, &order).await, "sent");

    // The bounce, delivered twice, then a late "delivered": bounced it stays.
    assert_eq!(post(&app, &headers, &body).await, 200);
    assert_eq!(post(&app, &headers, &body).await, 200);
    let (late_headers, late) = delivery_event("email.delivered", "email_1", &first_to);
    assert_eq!(post(&app, &late_headers, &late).await, 200);
    let status = email_status(&app, &order).await;
    assert!(
        status.starts_with("bounced: 550 5.1.1 The email account"),
        "{status}"
    );
    // Another kind of event on the same endpoint is acknowledged, so Resend keeps it enabled.
    let contact = r#"{"type":"contact.created","created_at":"2026-12-04T10:00:00Z","data":{"id":"c1","email":"x@example.com"}}"#;
    assert_eq!(post(&app, &resend::signed(contact), contact).await, 200);
    // An email TickEx did not send (same Resend account, another system): ignored.
    let (other_headers, other) = delivery_event("email.bounced", "email_999", "x@example.com");
    assert_eq!(post(&app, &other_headers, &other).await, 200);

    // The organizer corrects the address and sends the tickets again (once per ten minutes).
    let corrected = Email::parse("right.address@example.com").unwrap();
    orders::send_tickets_to(state, &admin(), &order, &corrected, chrono::Utc::now())
        .await
        .unwrap();
    let again = orders::send_tickets_to(state, &admin(), &order, &corrected, chrono::Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Validation(_)), "{again:?}");
    assert_eq!(email_status(&app, &order).await, "pending");
    assert_eq!(
        outbox::run_once(state, chrono::Utc::now()).await.unwrap(),
        1
    );
    let second = double.lock().unwrap().received[1].2.clone();
    assert_eq!(second["to"][0], "right.address@example.com");
    let (headers, body) = delivery_event("email.delivered", "email_2", "right.address@example.com");
    assert_eq!(post(&app, &headers, &body).await, 200);
    assert_eq!(email_status(&app, &order).await, "delivered");
    let log: Vec<String> = query(
        &app,
        "SELECT VALUE note FROM purchase_log WHERE purchase = type::record('purchase', $id) AND note != NONE",
        &[("id", &order)],
    )
    .await;
    assert!(
        log.contains(&"ticket email sent to right.address@example.com".to_owned()),
        "{log:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_signing_secret_the_endpoint_does_not_exist() {
    let double = Double::default();
    let mut settings = resend::settings(double.clone(), test_settings()).await;
    settings.resend.as_mut().unwrap().webhook_secret = None;
    let app = spawn_with(settings).await;
    let (headers, body) = delivery_event("email.bounced", "email_1", "a@example.com");
    assert_eq!(post(&app, &headers, &body).await, 404);
    app.stop().await;
}
