//! Issue 18: a named attendee's own link. Their ticket email opens their one ticket (not
//! the order, not the other tickets); they can transfer it, after which the link and the
//! old code are dead and the new holder's email carries a link of its own.
use crate::common::{buyers, event_with, query, spawn_app};
use tickex::domain::holder::HolderIn;
use tickex::domain::CheckoutLine;
use tickex::error::AppError;
use tickex::server::services::orders;

fn by_key(key: &str) -> orders::OrderAccess {
    orders::OrderAccess {
        user: None,
        key: Some(key.to_owned()),
    }
}

/// The link key queued in the ticket email to `recipient` (the dev mailbox keeps it).
async fn emailed_key(app: &crate::common::TestApp, recipient: &str) -> String {
    let keys: Vec<Option<String>> = query(
        app,
        "SELECT VALUE link_key FROM outbox WHERE kind = 'ticket' AND recipient = $to",
        &[("to", recipient)],
    )
    .await;
    assert_eq!(keys.len(), 1, "one ticket email to {recipient}");
    keys[0].clone().expect("a link key in the email")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_attendee_opens_and_transfers_their_own_ticket_by_their_link() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let buyer = buyers(&app, 1).await.remove(0);
    let ann_email = crate::common::unique_email("ann");
    let line = CheckoutLine {
        ticket_type_id: types[0].clone(),
        quantity: 2,
    };
    let now = chrono::Utc::now();
    let holders = [
        HolderIn {
            name: "Ann Attendee".into(),
            email: ann_email.clone(),
            answers: Default::default(),
        },
        HolderIn {
            name: "Bo".into(),
            email: String::new(),
            answers: Default::default(),
        },
    ];
    let url = orders::checkout(
        state,
        &orders::Purchaser::Account(&buyer),
        &event,
        &[line],
        &orders::BuyerInput {
            holders: &holders,
            answers: Default::default(),
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
    let owner = orders::OrderAccess {
        user: Some(buyer.clone()),
        key: None,
    };
    orders::pay_demo_order(state, &owner, &order).await.unwrap();
    let tickets: Vec<(String, String)> = query(
        &app,
        "SELECT VALUE [reference, holder_name] FROM ticket
         WHERE purchase = type::record('purchase', $id) ORDER BY holder_name",
        &[("id", &order)],
    )
    .await;
    let (ann_ticket, bo_ticket) = (tickets[0].0.clone(), tickets[1].0.clone());
    let ann_key = emailed_key(&app, &ann_email).await;

    // Her link opens her ticket, and only hers.
    let held = orders::held_ticket(state, &ann_ticket, &ann_key)
        .await
        .unwrap();
    assert_eq!(held.event.tickets.len(), 1);
    assert_eq!(held.event.tickets[0].holder_name, "Ann Attendee");
    assert_eq!(held.transfer_closed, None);
    assert_eq!(
        orders::held_ticket(state, &bo_ticket, &ann_key).await.err(),
        Some(AppError::NotFound("ticket".into()))
    );
    assert_eq!(
        orders::held_ticket(state, &ann_ticket, "guess").await.err(),
        Some(AppError::NotFound("ticket".into()))
    );
    assert_eq!(
        orders::order_view(state, &by_key(&ann_key), &order)
            .await
            .err(),
        Some(AppError::NotFound("order".into())),
        "an attendee's link does not open the order"
    );
    let to_cy = |reference| orders::TransferRequest {
        reference,
        seen_issue: 1,
        name: "Cy Newholder",
        email: "cy@example.com",
    };
    assert_eq!(
        orders::transfer_ticket(state, &by_key(&ann_key), &order, &to_cy(&bo_ticket), now)
            .await
            .err(),
        Some(AppError::NotFound("order".into())),
        "nor transfers someone else's ticket"
    );

    // She passes it on: her link dies with her code, Cy gets a link of his own.
    orders::transfer_ticket(state, &by_key(&ann_key), &order, &to_cy(&ann_ticket), now)
        .await
        .unwrap();
    assert_eq!(
        orders::held_ticket(state, &ann_ticket, &ann_key)
            .await
            .err(),
        Some(AppError::NotFound("ticket".into()))
    );
    let cy_key = emailed_key(&app, "cy@example.com").await;
    let held = orders::held_ticket(state, &ann_ticket, &cy_key)
        .await
        .unwrap();
    assert_eq!(held.event.tickets[0].holder_name, "Cy Newholder");
    assert_eq!(held.event.tickets[0].issue, 2);
    let log: Vec<(String, Option<String>)> = query(
        &app,
        "SELECT VALUE [actor, note] FROM purchase_log
         WHERE purchase = type::record('purchase', $id) AND note ORDER BY at",
        &[("id", &order)],
    )
    .await;
    assert!(
        log.iter().any(|(actor, note)| actor == "holder:link"
            && note
                .as_deref()
                .is_some_and(|n| n.contains("from Ann Attendee to Cy Newholder"))),
        "{log:?}"
    );
    // The buyer still has the order, with the ticket in Cy's name.
    let view = orders::order_view(state, &owner, &order).await.unwrap();
    assert!(view.tickets.iter().any(|t| t.holder_name == "Cy Newholder"));
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}
