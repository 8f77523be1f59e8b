//! Issue 19: promo codes, hidden ticket types with access codes, and capacities shared by
//! several ticket types; none may oversell or be used once too often, however many race.
use crate::common::{admin, buyers, event_with, query, spawn_app};
use futures::future::join_all;
use tickex::domain::sales::CodeInput;
use tickex::domain::CheckoutLine;
use tickex::error::AppError;
use tickex::server::services::{catalog, orders, sales};

fn line(ticket_type: &str, quantity: u32) -> Vec<CheckoutLine> {
    vec![CheckoutLine {
        ticket_type_id: ticket_type.to_owned(),
        quantity,
    }]
}

fn code_input<'a>(
    code: &'a str,
    discount: &'a str,
    amount: &'a str,
    max_uses: &'a str,
) -> CodeInput<'a> {
    CodeInput {
        code,
        discount,
        amount,
        ticket_types: Vec::new(),
        valid_from: "",
        valid_until: "",
        max_uses,
        per_order: "",
    }
}

fn with_code(code: &str) -> orders::BuyerInput<'_> {
    orders::BuyerInput {
        code: Some(code),
        ..Default::default()
    }
}

fn order_id(url: &str) -> String {
    url.trim_start_matches("/pay/demo/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// 300 buyers race for a 100-use code on a 1,000-seat type: exactly 100 discounted orders;
/// the rest are told the code is used up. Expired orders give their use back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_use_code_is_used_exactly_a_hundred_times() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "1000")]).await;
    sales::add_code(
        state,
        &admin(),
        &event,
        code_input("spring", "percent", "20", "100"),
    )
    .await
    .unwrap();
    let people = buyers(&app, 300).await;
    let now = chrono::Utc::now();
    let attempts = people.iter().map(|buyer| {
        let (event, lines) = (event.clone(), line(&types[0], 1));
        async move {
            let me = orders::Purchaser::Account(buyer);
            orders::checkout(state, &me, &event, &lines, &with_code("SPRING"), now).await
        }
    });
    let results = join_all(attempts).await;
    let won: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|u| order_id(u))
        .collect();
    assert_eq!(won.len(), 100, "exactly the code's uses");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            refused
                .message_for("code")
                .is_some_and(|m| m.contains("used up")),
            "{refused:?}"
        );
    }
    let totals: Vec<i64> = query(
        &app,
        "SELECT VALUE total_minor FROM purchase WHERE promo_code != NONE",
        &[],
    )
    .await;
    assert_eq!(totals.len(), 100);
    assert!(totals.iter().all(|t| *t == 2000), "20% off 25.00");
    let lines: Vec<(String, i64, Option<i64>)> = query(
        &app,
        "SELECT VALUE [lines[0].name, lines[0].unit_price_minor, lines[0].list_price_minor]
         FROM purchase LIMIT 1",
        &[],
    )
    .await;
    assert_eq!(
        lines[0],
        ("Standard (code SPRING)".into(), 2000, Some(2500))
    );
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());

    // Ten expire: their uses come back, and ten more buyers get the discount.
    for order in &won[..10] {
        orders::release(state, order, orders::Release::Expired, "test")
            .await
            .unwrap();
    }
    let uses: Vec<i64> = query(&app, "SELECT VALUE uses FROM promo_code", &[]).await;
    assert_eq!(uses, vec![90]);
    let more = buyers(&app, 11).await;
    let mut got = 0;
    for buyer in &more {
        let me = orders::Purchaser::Account(buyer);
        if orders::checkout(
            state,
            &me,
            &event,
            &line(&types[0], 1),
            &with_code("spring"),
            now,
        )
        .await
        .is_ok()
        {
            got += 1;
        }
    }
    assert_eq!(got, 10);
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}

/// Two ticket types race for one shared capacity: it never goes over, each type's own cap
/// holds too, and a refund gives the seat back to both ledgers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ticket_types_never_oversell_their_shared_capacity() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) =
        event_with(&app, &[("Early bird", "10", "30"), ("Regular", "20", "35")]).await;
    // A capacity below what its types already sold is refused on its field.
    sales::add_quota(state, &admin(), &event, "Main hall", "40", types.clone())
        .await
        .unwrap();
    let people = buyers(&app, 80).await;
    let now = chrono::Utc::now();
    let attempts = people.iter().enumerate().map(|(i, buyer)| {
        let (event, lines) = (event.clone(), line(&types[i % 2], 1));
        async move { crate::common::checkout_as(state, buyer, &event, &lines, now).await }
    });
    let results = join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 40, "exactly the shared capacity");
    let full = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .next()
        .unwrap();
    assert!(full.to_string().contains("Main hall"), "{full}");
    let hall: Vec<Vec<i64>> =
        query(&app, "SELECT VALUE [available, held, sold] FROM quota", &[]).await;
    assert_eq!(hall[0], vec![0, 40, 0]);
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());

    // Paid, then one refunded: its seat is back on sale in the hall.
    let first = order_id(results.iter().find_map(|r| r.as_ref().ok()).unwrap());
    orders::payment_succeeded(state, &first, None, "test")
        .await
        .unwrap();
    orders::refund_order(state, &admin(), &first).await.unwrap();
    let hall: Vec<Vec<i64>> =
        query(&app, "SELECT VALUE [available, held, sold] FROM quota", &[]).await;
    assert_eq!(hall[0], vec![1, 39, 0]);
    // The dashboard's inventory shows the shared capacity beside the ticket types.
    let board = tickex::server::services::dashboard::dashboard(
        state,
        None,
        "all".into(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let rows: Vec<(String, u32, u32)> = board.events[0]
        .ticket_types
        .iter()
        .map(|t| (t.name.clone(), t.held, t.available))
        .collect();
    assert!(
        rows.contains(&("Shared: Main hall".into(), 39, 1)),
        "{rows:?}"
    );
    let too_small =
        sales::set_quota_capacity(state, &admin(), &event, &quota_id(&app).await, "20").await;
    assert!(too_small.unwrap_err().message_for("capacity").is_some());
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}

async fn quota_id(app: &crate::common::TestApp) -> String {
    let ids: Vec<String> = query(app, "SELECT VALUE record::id(id) FROM quota", &[]).await;
    ids[0].clone()
}

/// A hidden ticket type is neither shown nor sold without a code that reveals it; with
/// its access code it is both, at its own price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_ticket_type_is_sold_only_with_its_access_code() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) =
        event_with(&app, &[("Standard", "25", "50"), ("Speaker", "0", "10")]).await;
    sales::set_ticket_type_hidden(state, &admin(), &event, &types[1], true)
        .await
        .unwrap();
    let mut input = code_input("SPEAKER-2027", "none", "", "");
    input.ticket_types = vec![types[1].clone()];
    sales::add_code(state, &admin(), &event, input)
        .await
        .unwrap();
    let slug: Vec<String> = query(
        &app,
        "SELECT VALUE slug FROM type::record('event', $e)",
        &[("e", &event)],
    )
    .await;
    let page = catalog::event_detail(state, &slug[0], None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(page.ticket_types.len(), 1, "the hidden type is not listed");
    let buyer = buyers(&app, 1).await.remove(0);
    let me = orders::Purchaser::Account(&buyer);
    let now = chrono::Utc::now();
    let without = orders::checkout(
        state,
        &me,
        &event,
        &line(&types[1], 1),
        &Default::default(),
        now,
    )
    .await;
    assert_eq!(
        without.err(),
        Some(AppError::Validation(
            "That ticket type does not exist.".into()
        ))
    );
    let wrong = sales::code_offer(state, &slug[0], "SPEAKER", now).await;
    assert!(wrong.unwrap_err().message_for("code").is_some());
    let offer = sales::code_offer(state, &slug[0], "speaker-2027", now)
        .await
        .unwrap();
    let names: Vec<&str> = offer.ticket_types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["Standard", "Speaker"]);
    assert!(
        offer.ticket_types.iter().all(|t| t.code_price.is_none()),
        "an access code only"
    );
    let url = orders::checkout(
        state,
        &me,
        &event,
        &line(&types[1], 1),
        &with_code("SPEAKER-2027"),
        now,
    )
    .await
    .unwrap();
    assert!(
        url.starts_with("/orders/"),
        "a free ticket needs no payment: {url}"
    );
    // Switched off, the code opens nothing any more.
    let code_ids: Vec<String> =
        query(&app, "SELECT VALUE record::id(id) FROM promo_code", &[]).await;
    sales::set_code_active(state, &admin(), &event, &code_ids[0], false)
        .await
        .unwrap();
    let off = orders::checkout(
        state,
        &me,
        &event,
        &line(&types[1], 1),
        &with_code("SPEAKER-2027"),
        now,
    )
    .await;
    assert!(off.unwrap_err().message_for("code").is_some());
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}
