//! Issue 8: the organizer dashboard's numbers, who sees what, and the CSV exports.
use crate::common::{admin, buyers, event_with, query, register, spawn_app, unique_email, TestApp};
use tickex::api::dashboard::GetDashboard;
use tickex::domain::dashboard::DashboardData;
use tickex::domain::CheckoutLine;
use tickex::server::auth::session::CurrentUser;
use tickex::server::services::{dashboard, orders};

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
    let url =
        crate::common::checkout_as(&app.server.state, buyer, event, &[line], chrono::Utc::now())
            .await
            .unwrap();
    url.trim_start_matches("/pay/demo/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_search_filter_and_manage_their_event_orders() {
    use tickex::api::orders::{CancelOrder, GetManagedOrder, ListEventAttendees, ListEventOrders};
    use tickex::domain::{AttendeeRow, ManagedOrder, OrganizerOrderRow, TicketStatus};
    let app = spawn_app().await;
    let (event, types) = event_with(&app, &[("Standard", "25", "20")]).await;
    let manager_email = unique_email("manager");
    let mut manager = register(&app, &manager_email, true).await;
    let manager_id: String = query(
        &app,
        "SELECT VALUE record::id(id) FROM user WHERE email = $email",
        &[("email", &manager_email)],
    )
    .await
    .remove(0);
    app.sql(&format!(
        "UPDATE event:`{event}` SET organizer = user:`{manager_id}`"
    ))
    .await;
    let mut people = buyers(&app, 3).await;
    app.sql(&format!(
        "UPDATE user:`{}` SET name = 'Grace Hopper'",
        people[0].id
    ))
    .await;
    // As the next request's session would read it: the holders' default name.
    people[0].name = "Grace Hopper".into();
    let paid = hold(&app, &people[0], &event, &types[0], 2).await;
    pay(&app, &paid).await;
    let refunded = hold(&app, &people[2], &event, &types[0], 1).await;
    pay(&app, &refunded).await;
    orders::refund_order(&app.server.state, &admin(), &refunded)
        .await
        .unwrap();
    let pending = hold(&app, &people[1], &event, &types[0], 3).await;

    async fn list(
        visitor: &mut crate::common::Visitor<'_>,
        event: &str,
        text: &str,
        status: &str,
    ) -> Vec<OrganizerOrderRow> {
        let response = visitor
            .call::<ListEventOrders>(&[("event_id", event), ("query", text), ("status", status)])
            .await;
        assert_eq!(response.status(), 200);
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }
    let ids = |rows: &[OrganizerOrderRow]| rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let all = list(&mut manager, &event, "", "").await;
    assert_eq!(
        ids(&all),
        vec![pending.clone(), refunded.clone(), paid.clone()]
    );
    assert_eq!(
        ids(&list(&mut manager, &event, "", "paid").await),
        vec![paid.clone()]
    );
    assert_eq!(
        ids(&list(&mut manager, &event, "", "refunded").await),
        vec![refunded.clone()]
    );
    assert_eq!(
        ids(&list(&mut manager, &event, "  GRACE ", "").await),
        vec![paid.clone()]
    );
    assert_eq!(
        ids(&list(&mut manager, &event, "grace", "pending").await),
        Vec::<String>::new()
    );
    let pending_ref = &all[0].reference;
    assert_eq!(
        ids(&list(&mut manager, &event, &pending_ref.to_lowercase(), "").await),
        vec![pending.clone()]
    );
    assert_eq!(
        all[2].email_status.as_deref(),
        Some("pending"),
        "ticket email queued"
    );
    let response = manager
        .call::<ListEventOrders>(&[("event_id", &event), ("query", ""), ("status", "shipped")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(crate::common::app_error(response)
        .await
        .to_string()
        .contains("shipped"));

    // Attendees: one row per ticket, refunded ones void; searchable by buyer.
    let response = manager
        .call::<ListEventAttendees>(&[("event_id", &event), ("query", "")])
        .await;
    let attendees: Vec<AttendeeRow> =
        serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(attendees.len(), 3);
    assert_eq!(
        attendees
            .iter()
            .filter(|a| a.status == TicketStatus::Void)
            .count(),
        1
    );
    let response = manager
        .call::<ListEventAttendees>(&[("event_id", &event), ("query", "grace")])
        .await;
    let graces: Vec<AttendeeRow> = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(graces.len(), 2);
    assert!(graces
        .iter()
        .all(|a| a.order_id == paid && a.holder_name == "Grace Hopper"));

    // The order detail carries every status change, in order, with who made it.
    let response = manager.call::<GetManagedOrder>(&[("id", &refunded)]).await;
    let detail: ManagedOrder = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let steps: Vec<(Option<String>, String)> = detail
        .log
        .iter()
        .map(|l| (l.from.clone(), l.to.clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, "pending".to_owned()),
            (Some("pending".to_owned()), "paid".to_owned()),
            (Some("paid".to_owned()), "refunded".to_owned()),
        ]
    );
    assert_eq!(detail.log[2].actor, "user:ops");
    assert_eq!(detail.tickets.len(), 1);
    assert_eq!(detail.tickets[0].status, TicketStatus::Void);

    // Cancelling a pending order returns its seats at once, and only once.
    let response = manager.call::<CancelOrder>(&[("id", &pending)]).await;
    assert_eq!(response.status(), 200);
    let ledger: Vec<i64> = query(
        &app,
        "SELECT VALUE [available, held, sold] FROM type::record('ticket_type', $id)",
        &[("id", &types[0])],
    )
    .await
    .into_iter()
    .next()
    .map(|v: Vec<i64>| v)
    .unwrap();
    assert_eq!(ledger, vec![18, 0, 2]);
    let response = manager.call::<CancelOrder>(&[("id", &pending)]).await;
    assert_eq!(response.status(), 422);
    let response = manager.call::<GetManagedOrder>(&[("id", &pending)]).await;
    let detail: ManagedOrder = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let last = detail.log.last().unwrap();
    assert_eq!(
        (last.to.as_str(), last.actor.clone()),
        ("cancelled", format!("user:{manager_id}"))
    );

    // Another organizer learns nothing about this event or its orders.
    let mut stranger = register(&app, &unique_email("stranger"), true).await;
    let response = stranger
        .call::<ListEventOrders>(&[("event_id", &event), ("query", ""), ("status", "")])
        .await;
    assert_eq!(response.status(), 404);
    let response = stranger
        .call::<ListEventAttendees>(&[("event_id", &event), ("query", "")])
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        stranger
            .call::<GetManagedOrder>(&[("id", &paid)])
            .await
            .status(),
        404
    );
    assert_eq!(
        stranger
            .call::<CancelOrder>(&[("id", &paid)])
            .await
            .status(),
        404
    );

    // The pages render the same on the server: filtered list, and the detail with its log.
    let html = manager
        .get(&format!(
            "/dashboard/events/{event}/orders?q=grace&status=paid"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&all[2].reference) && !html.contains(pending_ref.as_str()));
    assert!(html.contains("Grace Hopper"));
    let html = manager
        .get(&format!("/dashboard/orders/{refunded}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Status history") && html.contains("refunded by the organizer"));
    let response = stranger.get(&format!("/dashboard/orders/{paid}")).await;
    assert_eq!(response.status(), 404);
    app.stop().await;
}
