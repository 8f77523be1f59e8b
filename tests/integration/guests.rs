//! Issue 18: buying as a guest, a name (and an email) per ticket, the order's link, and
//! guest orders joining an account only once its email is verified.
use crate::common::{admin, buyers, event_with, query, register, spawn_app, unique_email};
use tickex::domain::holder::{GuestDetails, HolderIn};
use tickex::domain::CheckoutLine;
use tickex::error::AppError;
use tickex::server::auth::session::session_key;
use tickex::server::db::verifications::VerificationRepo;
use tickex::server::services::{accounts, orders};

fn holder(name: &str, email: &str) -> HolderIn {
    HolderIn {
        name: name.into(),
        email: email.into(),
        answers: Default::default(),
    }
}

fn access(key: Option<&str>) -> orders::OrderAccess {
    orders::OrderAccess {
        user: None,
        key: key.map(str::to_owned),
    }
}

/// The order id and link key in a checkout's answer (`/pay/demo/<id>?key=<key>`).
fn order_and_key(url: &str) -> (String, String) {
    let rest = url.trim_start_matches("/pay/demo/");
    let (id, key) = rest.split_once("?key=").expect("a link key");
    (id.to_owned(), key.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_buys_named_tickets_and_opens_the_order_by_its_link() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let line = CheckoutLine {
        ticket_type_id: types[0].clone(),
        quantity: 3,
    };
    let email = unique_email("gus");
    let guest = orders::Purchaser::Guest(GuestDetails::parse("Gus Guest", &email).unwrap());
    let now = chrono::Utc::now();
    // A bad email for a ticket is refused, saying which ticket; nothing is held.
    let refused = orders::checkout(
        state,
        &guest,
        &event,
        std::slice::from_ref(&line),
        &orders::BuyerInput {
            holders: &[holder("Ann", "ann@"), holder("", "")],
            answers: Default::default(),
            ..Default::default()
        },
        now,
    )
    .await;
    assert_eq!(
        refused
            .unwrap_err()
            .message_for("holders[0][email]")
            .as_deref(),
        Some("Ticket 1: Enter an email address like name@example.com.")
    );
    let url = orders::checkout(
        state,
        &guest,
        &event,
        &[line],
        &orders::BuyerInput {
            holders: &[
                holder("Ann Attendee", "ann@example.com"),
                holder("", ""),
                holder("Cy", ""),
            ],
            answers: Default::default(),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap();
    let (order, key) = order_and_key(&url);
    assert!(key.len() >= 64, "a long random key");
    let stored: Vec<Vec<String>> = query(
        &app,
        "SELECT VALUE access_keys FROM type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(
        stored[0],
        vec![session_key(&key)],
        "only its hash is stored"
    );

    // The link opens it; nothing else does.
    let view = orders::order_view(state, &access(Some(&key)), &order)
        .await
        .unwrap();
    assert_eq!(view.reference.len(), 12);
    assert_eq!(
        orders::order_view(state, &access(Some("guess")), &order)
            .await
            .err(),
        Some(AppError::NotFound("order".into()))
    );
    assert_eq!(
        orders::order_view(state, &access(None), &order).await.err(),
        Some(AppError::Unauthenticated)
    );
    let stranger = buyers(&app, 1).await.remove(0);
    let as_stranger = orders::OrderAccess {
        user: Some(stranger),
        key: None,
    };
    assert!(orders::order_view(state, &as_stranger, &order)
        .await
        .is_err());

    // Paid: one ticket per holder, the buyer's name where none was given.
    orders::pay_demo_order(state, &access(Some(&key)), &order)
        .await
        .unwrap();
    let holders: Vec<(String, Option<String>)> = query(
        &app,
        "SELECT VALUE [holder_name, holder_email] FROM ticket
         WHERE purchase = type::record('purchase', $id) ORDER BY holder_name",
        &[("id", &order)],
    )
    .await;
    assert_eq!(
        holders,
        vec![
            ("Ann Attendee".into(), Some("ann@example.com".into())),
            ("Cy".into(), None),
            ("Gus Guest".into(), None)
        ]
    );
    // The buyer's email carries a new link key; Ann gets her own ticket.
    let queued: Vec<(String, String, Option<String>)> = query(
        &app,
        "SELECT VALUE [kind, recipient, link_key] FROM outbox
         WHERE purchase = type::record('purchase', $id) ORDER BY kind DESC",
        &[("id", &order)],
    )
    .await;
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert_eq!(
        (queued[0].0.as_str(), queued[0].1.as_str()),
        ("tickets", email.as_str())
    );
    let emailed_key = queued[0].2.clone().expect("the email's link key");
    assert_ne!(emailed_key, key);
    assert_eq!(
        (queued[1].0.as_str(), queued[1].1.as_str()),
        ("ticket", "ann@example.com")
    );
    assert!(queued[1].2.is_some(), "Ann's email carries her own link");
    let view = orders::order_view(state, &access(Some(&emailed_key)), &order)
        .await
        .unwrap();
    assert_eq!(view.tickets.len(), 3);
    // The organizer sees the guest as the buyer.
    let managed = orders::managed_order(state, &admin(), &order)
        .await
        .unwrap();
    assert_eq!(managed.buyer_email, email);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_orders_join_an_account_only_once_its_email_is_verified() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let email = unique_email("later");
    let guest = orders::Purchaser::Guest(GuestDetails::parse("Lee Later", &email).unwrap());
    let line = CheckoutLine {
        ticket_type_id: types[0].clone(),
        quantity: 1,
    };
    let url = orders::checkout(
        state,
        &guest,
        &event,
        &[line],
        &orders::BuyerInput {
            holders: &[],
            answers: Default::default(),
            ..Default::default()
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let (order, key) = order_and_key(&url);
    orders::pay_demo_order(state, &access(Some(&key)), &order)
        .await
        .unwrap();

    // Someone registers with that email: signed in, but not verified, so nothing moves.
    let mut visitor = register(&app, &email, false).await;
    let me = visitor.me().await.unwrap();
    assert!(!me.email_verified);
    let owner: Vec<Option<String>> = query(
        &app,
        "SELECT VALUE IF buyer { record::id(buyer) } ELSE { NONE } FROM type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(owner, vec![None]);

    // Verified: the order is the account's, with a log row.
    let ids: Vec<String> = query(
        &app,
        "SELECT VALUE record::id(id) FROM user WHERE email = $email",
        &[("email", &email)],
    )
    .await;
    let token = "a".repeat(64);
    VerificationRepo(&state.db)
        .replace(
            &ids[0],
            &session_key(&token),
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    accounts::verify_email(&state.db, &token, chrono::Utc::now())
        .await
        .unwrap();
    let owner: Vec<Option<String>> = query(
        &app,
        "SELECT VALUE IF buyer { record::id(buyer) } ELSE { NONE } FROM type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(owner, vec![Some(ids[0].clone())]);
    let notes: Vec<Option<String>> = query(
        &app,
        "SELECT VALUE note FROM purchase_log WHERE purchase = type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert!(notes
        .iter()
        .any(|n| n.as_deref() == Some("taken over by the account with this verified email")));
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}

/// A guest gives a name and an email; each missing one is named.
#[tokio::test]
async fn a_guest_checkout_needs_a_name_and_an_email_and_is_throttled() {
    let mut settings = crate::common::test_settings();
    settings.account_requests_per_address = 10;
    let app = crate::common::spawn_with(settings).await;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let mut visitor = app.visitor();
    let response = visitor
        .call::<tickex::api::orders::Checkout>(&[
            ("event_id", event.as_str()),
            ("lines[0][ticket_type_id]", types[0].as_str()),
            ("lines[0][quantity]", "1"),
            ("guest_name", ""),
            ("guest_email", "nope"),
        ])
        .await;
    let error = crate::common::app_error(response).await;
    assert_eq!(
        error.message_for("guest_name").as_deref(),
        Some("Enter your name.")
    );
    assert!(error.message_for("guest_email").is_some());
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = visitor
            .call::<tickex::api::orders::Checkout>(&[
                ("event_id", event.as_str()),
                ("lines[0][ticket_type_id]", types[0].as_str()),
                ("lines[0][quantity]", "1"),
                ("guest_name", "Flo Flood"),
                ("guest_email", "flo@example.com"),
            ])
            .await;
        statuses.push(response.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    app.stop().await;
}

/// Five transfers of one ticket at once: exactly one happens. The old code is refused at
/// the door (and is on the doors' revocation list), the new holder's pass admits, the
/// order's log shows the chain, and one email goes to the new holder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_revokes_the_old_code_once_however_many_race() {
    use tickex::domain::ScanResult;
    use tickex::server::services::checkin;
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let buyer = buyers(&app, 1).await.remove(0);
    let order = crate::common::paid_order_of(&app, &buyer, &event, &types[0], 2).await;
    let owner = orders::OrderAccess {
        user: Some(buyer.clone()),
        key: None,
    };
    let tickets: Vec<(String, String, i64)> = query(
        &app,
        "SELECT VALUE [reference, code, issue] FROM ticket
         WHERE purchase = type::record('purchase', $id) ORDER BY reference",
        &[("id", &order)],
    )
    .await;
    let (reference, old_code, _) = tickets[0].clone();
    let old_pass = checkin::pass_for(state, &event, &old_code, 1)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let attempts = (0..5).map(|i| {
        let (owner, order, reference) = (&owner, &order, &reference);
        async move {
            let (name, email) = (format!("Friend {i}"), format!("friend{i}@example.com"));
            let request = orders::TransferRequest {
                reference,
                seen_issue: 1,
                name: &name,
                email: &email,
            };
            orders::transfer_ticket(state, owner, order, &request, now).await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, AppError::Validation(_))));
    let after: Vec<(String, String, i64)> = query(
        &app,
        "SELECT VALUE [holder_name, code, issue] FROM ticket WHERE reference = $reference",
        &[("reference", &reference)],
    )
    .await;
    let (new_holder, new_code, issue) = after[0].clone();
    assert!(new_holder.starts_with("Friend "));
    assert_ne!(new_code, old_code);
    assert_eq!(issue, 2);
    let emails: Vec<String> = query(
        &app,
        "SELECT VALUE recipient FROM outbox WHERE string::starts_with(key, 'transfer/')",
        &[],
    )
    .await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0].starts_with("friend"));
    let log: Vec<Option<String>> = query(
        &app,
        "SELECT VALUE note FROM purchase_log WHERE purchase = type::record('purchase', $id)
         ORDER BY at",
        &[("id", &order)],
    )
    .await;
    assert!(log.iter().flatten().any(|n| n.starts_with(&format!(
        "ticket {reference} transferred from {} to Friend ",
        buyer.name
    ))));

    // At the door: the old pass is refused and revoked, the new one admits.
    let door = checkin::door(state, Some(&admin()), &event, None, now)
        .await
        .unwrap();
    let scan = |id: &str, text: &str| tickex::domain::ScanIn {
        scan_id: id.into(),
        text: text.into(),
        scanned_at: None,
    };
    let refused = checkin::check_in(state, &door, &scan("t1", &old_pass), now)
        .await
        .unwrap();
    assert_eq!(
        (refused.result, refused.message.as_str()),
        (ScanResult::Refused, "transferred to another holder")
    );
    let data = checkin::door_data(state, &door, now).await.unwrap();
    assert!(data.revoked.contains(&old_code));
    let new_pass = checkin::pass_for(state, &event, &new_code, issue)
        .await
        .unwrap();
    let admitted = checkin::check_in(state, &door, &scan("t2", &new_pass), now)
        .await
        .unwrap();
    assert_eq!(admitted.result, ScanResult::Admitted);
    // A used ticket, and any ticket once the organizer forbids it, cannot move.
    let zed = |reference, seen_issue| orders::TransferRequest {
        reference,
        seen_issue,
        name: "Zed",
        email: "zed@example.com",
    };
    let used = orders::transfer_ticket(state, &owner, &order, &zed(&reference, 2), now).await;
    assert!(used.is_err());
    tickex::server::services::events::set_transfers_allowed(state, &admin(), &event, false)
        .await
        .unwrap();
    let forbidden =
        orders::transfer_ticket(state, &owner, &order, &zed(&tickets[1].0, 1), now).await;
    assert_eq!(
        forbidden.err(),
        Some(AppError::Validation(
            "The organizer does not allow ticket transfers for this event.".into()
        ))
    );
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}

/// Required questions, once per order and per ticket (for one ticket type only), are
/// refused when missing, each by its field; answers land on the order and its tickets,
/// in the attendee list and the CSV (defused for spreadsheets); a hidden question keeps
/// its answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_asked_checked_and_kept() {
    use std::collections::BTreeMap;
    use tickex::server::services::{dashboard, questions};
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50"), ("VIP", "90", "5")]).await;
    let organizer = admin();
    let add = |label: &'static str,
               kind: &'static str,
               options: &'static str,
               scope: &'static str,
               only: Vec<String>| {
        questions::add(
            state,
            &organizer,
            &event,
            questions::QuestionInput {
                label,
                kind,
                options,
                scope,
                required: true,
                ticket_types: only,
            },
        )
    };
    add("Company", "text", "", "order", vec![]).await.unwrap();
    add(
        "Diet",
        "choice",
        "Vegan\nNone",
        "attendee",
        vec![types[1].clone()],
    )
    .await
    .unwrap();
    add("Code of conduct", "checkbox", "", "attendee", vec![])
        .await
        .unwrap();
    let bad = add("Colour", "choice", "Red", "order", vec![]).await;
    assert!(bad.unwrap_err().message_for("options").is_some());
    let asked = questions::asked(state, &event).await.unwrap();
    assert_eq!(asked.len(), 3);
    let id = |label: &str| asked.iter().find(|q| q.label == label).unwrap().id.clone();
    // The key of a question's answer in a form.
    let key = |label: &str| asked.iter().find(|q| q.label == label).unwrap().field_key();

    let buyer = buyers(&app, 1).await.remove(0);
    let account = orders::Purchaser::Account(&buyer);
    let lines = [
        CheckoutLine {
            ticket_type_id: types[0].clone(),
            quantity: 1,
        },
        CheckoutLine {
            ticket_type_id: types[1].clone(),
            quantity: 1,
        },
    ];
    let now = chrono::Utc::now();
    let missing = orders::checkout(
        state,
        &account,
        &event,
        &lines,
        &orders::BuyerInput {
            holders: &[],
            answers: Default::default(),
            ..Default::default()
        },
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(
        missing
            .message_for(&format!("answers[{}]", id("Company")))
            .as_deref(),
        Some("Answer “Company”.")
    );
    assert_eq!(
        missing
            .message_for(&format!("holders[1][answers][{}]", id("Diet")))
            .as_deref(),
        Some("Ticket 2: Answer “Diet”.")
    );
    assert!(
        missing
            .message_for(&format!("holders[0][answers][{}]", id("Diet")))
            .is_none(),
        "Diet is asked for VIP tickets only"
    );
    assert!(missing
        .message_for(&format!("holders[0][answers][{}]", id("Code of conduct")))
        .is_some());
    assert_eq!(ledger_total(&app, &types[0]).await, 0, "nothing held");

    let answers: BTreeMap<String, String> =
        [(key("Company"), "=HYPERLINK(\"x\")".to_owned())].into();
    let holder = |diet: Option<&str>| HolderIn {
        name: String::new(),
        email: String::new(),
        answers: diet
            .map(|d| (key("Diet"), d.to_owned()))
            .into_iter()
            .chain([(key("Code of conduct"), "yes".to_owned())])
            .collect(),
    };
    let url = orders::checkout(
        state,
        &account,
        &event,
        &lines,
        &orders::BuyerInput {
            holders: &[holder(None), holder(Some("Vegan"))],
            answers: answers.clone(),
            ..Default::default()
        },
        now,
    )
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
    let rows = orders::event_attendees(
        state,
        &admin(),
        &event,
        &tickex::domain::OrderSearch::parse("", "").unwrap(),
    )
    .await
    .unwrap();
    let vip = rows.iter().find(|r| r.type_name == "VIP").unwrap();
    assert!(
        vip.answers.contains(&("Diet".into(), "Vegan".into())),
        "{vip:?}"
    );
    assert!(vip
        .answers
        .contains(&("Company".into(), "=HYPERLINK(\"x\")".into())));

    // Until the event starts the buyer corrects a ticket's name and diet (checked as at
    // checkout) and the order's answer; afterwards, nothing.
    let owner = orders::OrderAccess {
        user: Some(buyer.clone()),
        key: None,
    };
    let fixed: BTreeMap<String, String> = [
        (key("Diet"), "None".to_owned()),
        (key("Code of conduct"), "yes".to_owned()),
    ]
    .into();
    orders::correct_ticket(
        state,
        &owner,
        &order,
        &vip.reference,
        "Vera Vip",
        &fixed,
        now,
    )
    .await
    .unwrap();
    let missing = orders::correct_ticket(
        state,
        &owner,
        &order,
        &vip.reference,
        "Vera Vip",
        &BTreeMap::new(),
        now,
    )
    .await;
    assert!(missing
        .unwrap_err()
        .message_for(&format!("answers[{}]", id("Diet")))
        .is_some());
    let company: BTreeMap<String, String> =
        [(key("Company"), "=HYPERLINK(\"y\")".to_owned())].into();
    orders::correct_order_answers(state, &owner, &order, &company, now)
        .await
        .unwrap();
    let late = orders::correct_order_answers(
        state,
        &owner,
        &order,
        &company,
        now + chrono::Duration::days(400),
    )
    .await;
    assert_eq!(
        late.err(),
        Some(AppError::Validation(
            "Names and answers can be corrected until the event starts.".into()
        ))
    );
    let rows = orders::event_attendees(
        state,
        &admin(),
        &event,
        &tickex::domain::OrderSearch::parse("", "").unwrap(),
    )
    .await
    .unwrap();
    let vip = rows.iter().find(|r| r.type_name == "VIP").unwrap();
    assert_eq!(vip.holder_name, "Vera Vip");
    assert!(
        vip.answers.contains(&("Diet".into(), "None".into())),
        "{vip:?}"
    );

    // Hidden: no longer asked, its answers still exported.
    questions::set_hidden(state, &admin(), &event, &id("Diet"), true)
        .await
        .unwrap();
    assert_eq!(questions::asked(state, &event).await.unwrap().len(), 2);
    let export = dashboard::export_csv(state, &admin(), &event, "attendees")
        .await
        .unwrap();
    let header = export.csv.lines().next().unwrap();
    assert!(
        header.ends_with(",Company,Diet,Code of conduct"),
        "{header}"
    );
    assert!(
        export.csv.contains("'=HYPERLINK"),
        "a formula is defused: {}",
        export.csv
    );
    assert!(export.csv.contains(",None,yes"), "{}", export.csv);
    app.stop().await;
}

async fn ledger_total(app: &crate::common::TestApp, ticket_type: &str) -> i64 {
    let held: Vec<i64> = query(
        app,
        "SELECT VALUE held FROM type::record('ticket_type', $id)",
        &[("id", ticket_type)],
    )
    .await;
    held[0]
}

/// A person downloads their data and deletes their account: their name, email and answers
/// are gone, the order keeps its amount and reference, the seats stay sold, and the
/// ledgers and `tickex check` agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_account_leaves_the_ledgers_whole() {
    use tickex::server::services::personal_data;
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let buyer = buyers(&app, 1).await.remove(0);
    let order = crate::common::paid_order_of(&app, &buyer, &event, &types[0], 2).await;

    let export: serde_json::Value =
        serde_json::from_str(&personal_data::export(state, &buyer).await.unwrap()).unwrap();
    assert_eq!(export["account"]["email"], buyer.email.as_str());
    assert_eq!(export["orders"][0]["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(export["orders"][0]["total_minor"], 5000);

    assert!(personal_data::delete_account(state, &buyer, "yes")
        .await
        .unwrap_err()
        .message_for("confirmation")
        .is_some());
    assert!(matches!(
        personal_data::delete_account(state, &admin(), &admin().email).await,
        Err(AppError::Validation(_))
    ));
    personal_data::delete_account(state, &buyer, &buyer.email.to_uppercase())
        .await
        .unwrap();
    let person: Vec<(String, String)> = query(
        &app,
        "SELECT VALUE [name, email] FROM type::record('user', $id)",
        &[("id", &buyer.id)],
    )
    .await;
    assert_eq!(person[0].0, "Deleted account");
    assert!(!person[0].1.contains(&buyer.email));
    let kept: Vec<(String, i64, String)> = query(
        &app,
        "SELECT VALUE [reference, total_minor, status] FROM type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!((kept[0].1, kept[0].2.as_str()), (5000, "paid"));
    let holders: Vec<String> = query(
        &app,
        "SELECT VALUE holder_name FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    assert_eq!(holders, ["Deleted", "Deleted"]);
    let sold: Vec<i64> = query(
        &app,
        "SELECT VALUE sold FROM type::record('ticket_type', $id)",
        &[("id", &types[0])],
    )
    .await;
    assert_eq!(sold, [2]);
    let sessions: Vec<String> = query(
        &app,
        "SELECT VALUE record::id(id) FROM session WHERE user = type::record('user', $id)",
        &[("id", &buyer.id)],
    )
    .await;
    assert!(sessions.is_empty());
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}
