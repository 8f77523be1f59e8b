//! Issue 16: selling rules proven end to end. Money in Stripe's minor units (ISK and HUF
//! with two decimals), currencies Stripe does not take refused, sale windows and per-order
//! limits refused at checkout, unpublishing, resending tickets (a sliding ten minutes), and
//! dashboard totals over every event, not the first 500.
use crate::checkout::{buy, stripe_app};
use crate::common::stripe::Double;
use crate::common::{
    admin, app_error, buyers, event_fields_with, event_from, event_with, multipart, query,
    register, spawn_app, unique_email, TestApp,
};
use chrono::{Duration, Utc};
use tickex::api::events::{ChangeEventStatus, CreateEvent, ListUpcomingEvents};
use tickex::domain::{CheckoutLine, EventListPage};
use tickex::error::AppError;
use tickex::server::services::{dashboard, orders};

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// Sets `name` of the `row`-th ticket type (fields repeat once per ticket row).
fn set_ticket(fields: &mut [(String, String)], name: &str, row: usize, value: &str) {
    let slot = fields
        .iter_mut()
        .filter(|(k, _)| k == name)
        .nth(row)
        .unwrap_or_else(|| panic!("no {name} in row {row}"));
    slot.1 = value.to_owned();
}

/// How many events the public listing finds for "Pop Up".
async fn listed(app: &TestApp) -> usize {
    let list = app
        .visitor()
        .call::<ListUpcomingEvents>(&[("search", "Pop Up"), ("page", "1")])
        .await;
    let list: EventListPage = serde_json::from_str(&list.text().await.unwrap()).unwrap();
    list.events.len()
}

fn line(ticket_type: &str, quantity: u32) -> CheckoutLine {
    CheckoutLine {
        ticket_type_id: ticket_type.to_owned(),
        quantity,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isk_is_charged_in_stripes_two_decimal_minor_units_and_unknown_currencies_are_refused() {
    let double = Double::default();
    let app = stripe_app(double.clone()).await;
    let mut fields = event_fields_with("Reykjavik Nights", &[("Standard", "500", "10")]);
    set(&mut fields, "currency", "ISK");
    let (event, types) = event_from(&app, &fields).await;
    let mut buyer = register(&app, &unique_email("buyer"), false).await;
    let order = buy(&mut buyer, &event, &types[0], "2").await;
    let sent = double.lock().unwrap().sessions[0].1.clone();
    let field = |name: &str| sent.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(
        field("line_items[0][price_data][currency]").as_deref(),
        Some("isk")
    );
    assert_eq!(
        field("line_items[0][price_data][unit_amount]").as_deref(),
        Some("50000"),
        "500 ISK is 50000 at Stripe"
    );
    let totals: Vec<i64> = query(
        &app,
        "SELECT VALUE total_minor FROM type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(totals, vec![100_000]);

    // Stripe takes whole krónur only, and no currency it does not know.
    let organizer = register(&app, &unique_email("org"), true).await;
    for (currency, price, field, message) in [
        ("ISK", "500.50", "ticket_price.0", "whole amount"),
        (
            "ABC",
            "12",
            "currency",
            "Stripe does not take payments in that currency",
        ),
    ] {
        let mut fields = event_fields_with("Refused", &[("Standard", price, "10")]);
        set(&mut fields, "currency", currency);
        let response = organizer
            .call_multipart::<CreateEvent>(multipart(&fields, None))
            .await;
        let error = app_error(response).await;
        let shown = error.message_for(field).unwrap_or_default();
        assert!(shown.contains(message), "{currency}: {error:?}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sale_windows_and_per_order_limits_are_enforced_at_checkout() {
    let app = spawn_app().await;
    let start = Utc::now() + Duration::days(30);
    let local = |at: chrono::DateTime<Utc>| {
        at.with_timezone(&chrono_tz::Europe::Berlin)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let mut fields = event_fields_with("Windows", &[("Groups", "10", "50"), ("Later", "10", "50")]);
    set_ticket(&mut fields, "ticket_max", 0, "4");
    fields.push(("ticket_min".into(), "2".into()));
    fields.push(("ticket_min".into(), "1".into()));
    fields.push(("ticket_sale_starts".into(), String::new()));
    fields.push((
        "ticket_sale_starts".into(),
        local(Utc::now() + Duration::days(2)),
    ));
    fields.push(("ticket_sale_ends".into(), String::new()));
    fields.push((
        "ticket_sale_ends".into(),
        local(Utc::now() + Duration::days(5)),
    ));
    let (event, types) = event_from(&app, &fields).await;
    let state = &app.server.state;
    let buyer = buyers(&app, 1).await.remove(0);
    let refused = |result: Result<String, AppError>| match result {
        Err(AppError::Validation(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let now = Utc::now();
    for quantity in [1, 5] {
        let message = refused(
            crate::common::checkout_as(state, &buyer, &event, &[line(&types[0], quantity)], now)
                .await,
        );
        assert_eq!(message, "Choose between 2 and 4 “Groups” tickets.");
    }
    let message = refused(
        crate::common::checkout_as(state, &buyer, &event, &[line(&types[1], 1)], now).await,
    );
    assert_eq!(message, "“Later” is not on sale right now.");
    let after = now + Duration::days(6);
    let message = refused(
        crate::common::checkout_as(state, &buyer, &event, &[line(&types[1], 1)], after).await,
    );
    assert_eq!(message, "“Later” is not on sale right now.");
    let after_event = start + Duration::days(1);
    let message = refused(
        crate::common::checkout_as(state, &buyer, &event, &[line(&types[0], 2)], after_event).await,
    );
    assert_eq!(message, "Tickets for this event are not on sale.");
    // Inside every rule, both go through.
    let during = now + Duration::days(3);
    crate::common::checkout_as(state, &buyer, &event, &[line(&types[0], 2)], during)
        .await
        .unwrap();
    crate::common::checkout_as(state, &buyer, &event, &[line(&types[1], 1)], during)
        .await
        .unwrap();
    let ledger = crate::checkout::ledger(&app, &types[0]).await;
    assert_eq!(ledger, vec![48, 2, 0, 50], "refused checkouts held nothing");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpublished_event_disappears_stops_selling_and_comes_back() {
    let app = spawn_app().await;
    let mut organizer = register(&app, &unique_email("org"), true).await;
    let fields = event_fields_with("Pop Up Gig", &[("Standard", "10", "10")]);
    let response = organizer
        .call_multipart::<CreateEvent>(multipart(&fields, None))
        .await;
    let path: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let ids: Vec<String> = query(
        &app,
        "SELECT VALUE record::id(id) FROM event WHERE slug = $slug",
        &[("slug", path.trim_start_matches("/events/"))],
    )
    .await;
    let (event, state) = (ids[0].clone(), &app.server.state);
    let types: Vec<String> = query(
        &app,
        "SELECT VALUE record::id(id) FROM ticket_type WHERE event = type::record('event', $e)",
        &[("e", &event)],
    )
    .await;
    assert_eq!(app.get(&path).await.status(), 200);
    assert_eq!(listed(&app).await, 1);

    let response = organizer
        .call::<ChangeEventStatus>(&[("id", &event), ("action", "unpublish")])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.get(&path).await.status(), 404, "gone for the public");
    assert_eq!(
        organizer.get(&path).await.status(),
        200,
        "its organizer still sees it"
    );
    assert_eq!(listed(&app).await, 0);
    let buyer = buyers(&app, 1).await.remove(0);
    let error =
        crate::common::checkout_as(state, &buyer, &event, &[line(&types[0], 1)], Utc::now())
            .await
            .unwrap_err();
    assert_eq!(
        error,
        AppError::Validation("Tickets for this event are not on sale.".into())
    );

    let response = organizer
        .call::<ChangeEventStatus>(&[("id", &event), ("action", "publish")])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.get(&path).await.status(), 200);
    crate::common::checkout_as(state, &buyer, &event, &[line(&types[0], 1)], Utc::now())
        .await
        .unwrap();
    // With tickets taken it cannot go back to draft.
    let error = app_error(
        organizer
            .call::<ChangeEventStatus>(&[("id", &event), ("action", "unpublish")])
            .await,
    )
    .await;
    assert!(
        matches!(error, AppError::Validation(ref m) if m.contains("Cancel it instead")),
        "{error:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_resent_once_in_any_ten_minutes_to_their_buyer_or_organizer_only() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "10")]).await;
    let people = buyers(&app, 2).await;
    let (buyer, stranger) = (&people[0], &people[1]);
    let url = crate::common::checkout_as(state, buyer, &event, &[line(&types[0], 1)], Utc::now())
        .await
        .unwrap();
    let order = url
        .trim_start_matches("/pay/demo/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let error = orders::resend_tickets(state, buyer, &order, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        AppError::Validation("Only a paid order has tickets to send.".into())
    );
    orders::payment_succeeded(state, &order, None, "test")
        .await
        .unwrap();

    // Two requests seconds apart on either side of a ten-minute boundary: the second is
    // refused (a fixed ten-minute bucket would let both through).
    let real_now = Utc::now().timestamp();
    let boundary = real_now - real_now % 600;
    let at = |seconds: i64| chrono::DateTime::from_timestamp(seconds, 0).unwrap();
    orders::resend_tickets(state, buyer, &order, at(boundary - 2))
        .await
        .unwrap();
    let error = orders::resend_tickets(state, &admin(), &order, at(boundary + 2))
        .await
        .unwrap_err();
    assert!(
        matches!(error, AppError::Validation(ref m) if m.contains("a moment ago")),
        "{error:?}"
    );
    let error = orders::resend_tickets(state, stranger, &order, Utc::now())
        .await
        .unwrap_err();
    assert_eq!(error, AppError::NotFound("order".into()));
    // Ten minutes later it may go again.
    orders::resend_tickets(state, buyer, &order, Utc::now() + Duration::seconds(601))
        .await
        .unwrap();
    let queued: Vec<String> = query(
        &app,
        "SELECT VALUE key FROM outbox WHERE purchase = type::record('purchase', $id) ORDER BY created_at",
        &[("id", &order)],
    )
    .await;
    assert_eq!(
        queued.len(),
        3,
        "the confirmation and two resends: {queued:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_totals_count_every_event_not_the_first_five_hundred() {
    let app = spawn_app().await;
    let (event, _) = event_with(&app, &[("Standard", "25", "10")]).await;
    // 510 more events of the same organizer, each with one paid order of €10.
    app.sql(&format!(
        "LET $src = (SELECT * FROM ONLY event:`{event}`);
         FOR $i IN 1..511 {{
            CREATE event SET organizer = $src.organizer, title = $src.title,
                slug = string::concat($src.slug, '-', <string>$i),
                description = $src.description, starts_at = $src.starts_at,
                ends_at = $src.ends_at, time_zone = $src.time_zone, venue = $src.venue,
                address = $src.address, currency = $src.currency, status = 'published',
                created_at = time::now(), updated_at = time::now(),
                revenue_minor = 1000, paid_orders = 1;
         }};"
    ))
    .await;
    let organizer: Vec<String> = query(
        &app,
        "SELECT VALUE record::id(organizer) FROM type::record('event', $id)",
        &[("id", &event)],
    )
    .await;
    let data = dashboard::dashboard(
        &app.server.state,
        Some(&organizer[0]),
        "Yours".into(),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(data.stats.paid_orders, 510);
    assert_eq!(data.stats.revenue.len(), 1);
    assert_eq!(data.stats.revenue[0].minor(), 510_000);
    assert_eq!(data.stats.events_published, 511);
    assert_eq!(data.stats.events_total, 511);
    assert_eq!(data.events.len(), 500, "the list stays bounded");
    app.stop().await;
}
