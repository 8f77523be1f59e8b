//! Issue 8: the organizer dashboard's numbers, who sees what, and the CSV exports.
mod common;

use common::{buyers, event_with, query, register, spawn_app, unique_email, TestApp};
use tickex::api::dashboard::GetDashboard;
use tickex::domain::dashboard::DashboardData;
use tickex::domain::{CheckoutLine, Role};
use tickex::server::auth::session::CurrentUser;
use tickex::server::services::{dashboard, orders};

fn admin() -> CurrentUser {
    CurrentUser {
        id: "ops".into(),
        name: "Ops".into(),
        email: "ops@example.com".into(),
        role: Role::Admin,
        session_key: String::new(),
    }
}

/// Holds `quantity` tickets for `buyer`; returns the order id.
async fn hold(
    app: &TestApp,
    buyer: &CurrentUser,
    event: &str,
    ticket_type: &str,
    quantity: u32,
) -> String {
    let line = CheckoutLine {
        ticket_type_id: ticket_type.to_owned(),
        quantity,
    };
    let url = orders::checkout(&app.server.state, buyer, event, &[line], chrono::Utc::now())
        .await
        .unwrap();
    url.trim_start_matches("/pay/demo/").to_owned()
}

async fn pay(app: &TestApp, order: &str) {
    orders::payment_succeeded(&app.server.state, order, None, "test")
        .await
        .unwrap();
}

async fn organizer_of(app: &TestApp, event: &str) -> String {
    let ids: Vec<String> = query(
        app,
        "SELECT VALUE record::id(organizer) FROM type::record('event', $id)",
        &[("id", event)],
    )
    .await;
    ids[0].clone()
}

/// Splits CSV text (RFC 4180) into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_scenario_gives_exactly_the_expected_numbers() {
    let app = spawn_app().await;
    let (concert, concert_types) = event_with(&app, &[("Standard", "25", "20")]).await;
    let (talk, talk_types) = event_with(&app, &[("Seat", "10", "10")]).await;
    let organizer = organizer_of(&app, &concert).await;
    // One organizer, two currencies.
    app.sql(&format!(
        "UPDATE event:`{talk}` SET currency = 'USD', organizer = user:`{organizer}`"
    ))
    .await;
    let (other_event, other_types) = event_with(&app, &[("Entry", "5", "10")]).await;
    let people = buyers(&app, 6).await;

    let paid = hold(&app, &people[0], &concert, &concert_types[0], 2).await;
    pay(&app, &paid).await;
    let refunded = hold(&app, &people[1], &concert, &concert_types[0], 1).await;
    pay(&app, &refunded).await;
    orders::refund_order(&app.server.state, &admin(), &refunded)
        .await
        .unwrap();
    let _pending = hold(&app, &people[2], &concert, &concert_types[0], 3).await;
    let expired = hold(&app, &people[3], &concert, &concert_types[0], 1).await;
    orders::release(
        &app.server.state,
        &expired,
        orders::Release::Expired,
        "test",
    )
    .await
    .unwrap();
    let dollars = hold(&app, &people[4], &talk, &talk_types[0], 4).await;
    pay(&app, &dollars).await;
    let elsewhere = hold(&app, &people[5], &other_event, &other_types[0], 1).await;
    pay(&app, &elsewhere).await;

    let now = chrono::Utc::now();
    let data = dashboard::dashboard(&app.server.state, Some(&organizer), "test".into(), now)
        .await
        .unwrap();
    let revenue: Vec<String> = data.stats.revenue.iter().map(|m| m.to_string()).collect();
    assert_eq!(
        revenue,
        vec!["€50.00", "$40.00"],
        "paid minus refunded, per currency"
    );
    assert_eq!(data.stats.tickets_sold, 6);
    assert_eq!(data.stats.paid_orders, 2);
    assert_eq!(data.stats.events_published, 2);
    assert_eq!(data.stats.events_upcoming, 2);
    let today = now.format("%Y-%m-%d").to_string();
    assert_eq!(data.sales.len(), 30);
    assert_eq!(data.sales.last().unwrap().day, today);
    assert_eq!(
        data.sales.last().unwrap().tickets,
        6,
        "refunds come off the day's sales"
    );
    assert_eq!(data.recent.len(), 5, "only this organizer's orders");
    assert_eq!(data.recent[0].order_id, dollars, "newest first");
    let concert_row = data.events.iter().find(|e| e.id == concert).unwrap();
    assert_eq!(concert_row.revenue.to_string(), "€50.00");
    let ledger = &concert_row.ticket_types[0];
    assert_eq!((ledger.sold, ledger.held, ledger.available), (2, 3, 15));

    let platform = dashboard::dashboard(&app.server.state, None, "all".into(), now)
        .await
        .unwrap();
    assert_eq!(platform.stats.tickets_sold, 7);
    assert_eq!(platform.stats.paid_orders, 3);
    assert_eq!(platform.recent.len(), 6);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_see_only_their_own_numbers_and_exports() {
    let app = spawn_app().await;
    let (event, types) = event_with(&app, &[("Standard", "25", "20")]).await;
    let owner = organizer_of(&app, &event).await;
    let people = buyers(&app, 2).await;
    app.sql(&format!(
        "UPDATE user:`{}` SET name = '=HYPERLINK(\"http://evil\"), \"Mallory\"'",
        people[0].id
    ))
    .await;
    for buyer in &people {
        let order = hold(&app, buyer, &event, &types[0], 2).await;
        pay(&app, &order).await;
    }

    // Another organizer asks for the owner's dashboard: they get their own (empty) one.
    let mut stranger = register(&app, &unique_email("stranger"), true).await;
    let response = stranger
        .call::<GetDashboard>(&[("organizer", owner.as_str())])
        .await;
    let data: DashboardData = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert!(data.events.is_empty() && data.recent.is_empty());
    assert_eq!(data.stats.tickets_sold, 0);
    let export = format!("/dashboard/events/{event}/export/orders");
    assert_eq!(stranger.get(&export).await.status(), 404);
    assert_eq!(app.get(&export).await.status(), 401);

    // The owner (here: an admin, who may open any organizer's dashboard) exports.
    app.sql(&format!(
        "UPDATE user SET role = 'admin' WHERE email = '{}'",
        stranger.me().await.unwrap().email
    ))
    .await;
    let response = stranger
        .call::<GetDashboard>(&[("organizer", owner.as_str())])
        .await;
    let data: DashboardData = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(data.stats.tickets_sold, 4);

    let response = stranger.get(&export).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let rows = parse_csv(&response.text().await.unwrap());
    assert_eq!(rows[0][0], "order");
    assert_eq!(rows.len(), 3);
    let references: Vec<String> = query(
        &app,
        "SELECT VALUE reference FROM purchase ORDER BY created_at ASC",
        &[],
    )
    .await;
    assert_eq!(rows[1][0], references[0]);
    assert_eq!(rows[2][0], references[1]);
    assert_eq!(
        rows[1][1], "'=HYPERLINK(\"http://evil\"), \"Mallory\"",
        "quoted and defused"
    );
    assert_eq!(rows[1][3], "paid");
    assert_eq!(rows[1][5], "50.00");

    let attendees = stranger
        .get(&format!("/dashboard/events/{event}/export/attendees"))
        .await
        .text()
        .await
        .unwrap();
    let rows = parse_csv(&attendees);
    assert_eq!(rows.len(), 5, "a header and one row per ticket");
    assert!(rows[1..]
        .iter()
        .all(|r| r[3] == "Standard" && r[4] == "valid"));
    app.stop().await;
}
