//! Issue 19: the waiting list. Seats that come back go to the people in line, strictly in
//! the order they joined, each held as an offer; an offer not taken passes on.
use crate::common::{buyers, event_with, query, spawn_app};
use futures::future::join_all;
use tickex::domain::CheckoutLine;
use tickex::server::services::{orders, waitlist};

async fn statuses(app: &crate::common::TestApp) -> Vec<String> {
    query(
        app,
        "SELECT VALUE status FROM waitlist_entry ORDER BY joined_at, id",
        &[],
    )
    .await
}

fn count(statuses: &[String], status: &str) -> usize {
    statuses.iter().filter(|s| *s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_seats_go_to_the_first_in_line_and_lapsed_offers_pass_on() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let now = chrono::Utc::now();
    let line = vec![CheckoutLine {
        ticket_type_id: types[0].clone(),
        quantity: 1,
    }];
    let holders = buyers(&app, 51).await;
    let mut held = Vec::new();
    for buyer in &holders[..50] {
        let url = crate::common::checkout_as(state, buyer, &event, &line, now)
            .await
            .unwrap();
        held.push(
            url.trim_start_matches("/pay/demo/")
                .split('?')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    // Not sold out yet? Then nobody may queue. Sold out: 200 people queue, one by one.
    for i in 0..200 {
        waitlist::join_waitlist(
            state,
            &event,
            &types[0],
            &format!("Waiter {i}"),
            &format!("waiter{i}@example.com"),
            now,
        )
        .await
        .unwrap();
    }
    let again = waitlist::join_waitlist(
        state,
        &event,
        &types[0],
        "Waiter 0",
        "waiter0@example.com",
        now,
    )
    .await;
    assert!(again
        .unwrap_err()
        .to_string()
        .contains("already on the waiting list"));

    // All 50 holds lapse at once: every seat goes to the line, the first 50, in order.
    let released = held
        .iter()
        .map(|order| orders::release(state, order, orders::Release::Expired, "test"));
    for r in join_all(released).await {
        assert!(r.unwrap());
    }
    waitlist::offer_seats(state, chrono::Utc::now())
        .await
        .unwrap();
    let after = statuses(&app).await;
    assert!(
        after[..50].iter().all(|s| s == "offered"),
        "{:?}",
        &after[..50]
    );
    assert!(after[50..].iter().all(|s| s == "waiting"));
    let ledger: Vec<Vec<i64>> = query(
        &app,
        "SELECT VALUE [available, held, sold] FROM ticket_type",
        &[],
    )
    .await;
    assert_eq!(ledger[0], vec![0, 50, 0], "offers hold their seats");
    let emails: Vec<String> = query(
        &app,
        "SELECT VALUE recipient FROM outbox WHERE kind = 'waitlist_offer' ORDER BY created_at",
        &[],
    )
    .await;
    assert_eq!(emails.len(), 50);
    assert!(
        emails.contains(&"waiter0@example.com".to_owned())
            && !emails.contains(&"waiter50@example.com".to_owned())
    );
    // Nobody jumps the line: a buyer is refused while people wait.
    let jumper = crate::common::checkout_as(state, &holders[50], &event, &line, now).await;
    assert!(jumper.is_err());
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());

    // Waiter 0 takes the offer by the email's link, and pays.
    let offer: Vec<(String, String)> = query(
        &app,
        "SELECT VALUE [record::id(waitlist_entry), link_key] FROM outbox
         WHERE kind = 'waitlist_offer' AND recipient = 'waiter0@example.com'",
        &[],
    )
    .await;
    let (entry, key) = offer[0].clone();
    let view = waitlist::offer_view(state, &entry, &key).await.unwrap();
    assert!(view.open && view.name == "Waiter 0");
    let guest = orders::Purchaser::Guest(
        tickex::domain::holder::GuestDetails::parse("Waiter 0", "waiter0@example.com").unwrap(),
    );
    let input = orders::BuyerInput {
        offer: Some((&entry, &key)),
        ..Default::default()
    };
    let url = orders::checkout(state, &guest, &event, &line, &input, now)
        .await
        .unwrap();
    let order = url
        .trim_start_matches("/pay/demo/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    orders::payment_succeeded(state, &order, None, "test")
        .await
        .unwrap();
    let twice = orders::checkout(state, &guest, &event, &line, &input, now).await;
    assert!(twice.unwrap_err().to_string().contains("offer has ended"));
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());

    // A day later the other 49 offers lapse: they pass to the next 49 in line.
    let later = chrono::Utc::now() + chrono::Duration::hours(25);
    waitlist::offer_seats(state, later).await.unwrap();
    let after = statuses(&app).await;
    assert_eq!(after[0], "ordered");
    assert_eq!(count(&after[1..50], "expired"), 49);
    assert!(
        after[50..99].iter().all(|s| s == "offered"),
        "{:?}",
        &after[50..99]
    );
    assert!(after[99..].iter().all(|s| s == "waiting"));
    let ledger: Vec<Vec<i64>> = query(
        &app,
        "SELECT VALUE [available, held, sold] FROM ticket_type",
        &[],
    )
    .await;
    assert_eq!(ledger[0], vec![0, 49, 1]);
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}
