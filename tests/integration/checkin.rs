//! Issue 17: door check-in. Signed passes verified by the server, each scan decided once
//! (by its id) in one transaction, two doors on one ticket, offline scans synced late (the
//! earliest admits), and who may scan where.
use crate::common::{admin, buyers, event_with, paid_order_of, query, spawn_app, TestApp};
use chrono::{Duration, Utc};
use futures::future::join_all;
use tickex::domain::{Email, ScanIn, ScanResult};
use tickex::error::AppError;
use tickex::server::passes::{self, Scanned};
use tickex::server::services::checkin::{self, Door};
use tickex::server::services::doors;
use tickex::server::services::orders;

/// A paid order of `quantity` tickets; returns the order and its tickets' passes.
async fn tickets(
    app: &TestApp,
    event: &str,
    ticket_type: &str,
    quantity: u32,
) -> (String, Vec<String>) {
    let state = &app.server.state;
    let buyer = buyers(app, 1).await.remove(0);
    let order = paid_order_of(app, &buyer, event, ticket_type, quantity).await;
    let codes: Vec<(String, i64)> = query(
        app,
        "SELECT VALUE [code, issue] FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    let mut passes = Vec::new();
    for (code, issue) in codes {
        passes.push(checkin::pass_for(state, event, &code, issue).await.unwrap());
    }
    (order, passes)
}

async fn organizer_door(app: &TestApp, event: &str) -> Door {
    checkin::door(&app.server.state, Some(&admin()), event, None, Utc::now())
        .await
        .unwrap()
}

fn code_of(pass: &str) -> String {
    match passes::read(pass) {
        Ok(Scanned::Pass(pass)) => pass.code,
        other => panic!("{other:?}"),
    }
}

fn scan(id: &str, text: &str, at: Option<chrono::DateTime<Utc>>) -> ScanIn {
    ScanIn {
        scan_id: id.to_owned(),
        text: text.to_owned(),
        scanned_at: at.map(|t| t.to_rfc3339()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_doors_scanning_one_ticket_at_once_admit_it_once() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let (_, passes) = tickets(&app, &event, &types[0], 5).await;
    let door = organizer_door(&app, &event).await;
    // Every ticket scanned by four doors at the same instant.
    let scans: Vec<ScanIn> = passes
        .iter()
        .enumerate()
        .flat_map(|(t, pass)| (0..4).map(move |d| scan(&format!("s-{t}-{d}"), pass, None)))
        .collect();
    let answers = join_all(
        scans
            .iter()
            .map(|s| checkin::check_in(state, &door, s, Utc::now())),
    )
    .await;
    let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    let admitted = answers
        .iter()
        .filter(|a| a.result == ScanResult::Admitted)
        .count();
    assert_eq!(
        admitted, 5,
        "each ticket admitted exactly once: {answers:?}"
    );
    let duplicate = answers
        .iter()
        .find(|a| a.result == ScanResult::Duplicate)
        .unwrap();
    assert!(
        duplicate.message.starts_with("Already checked in at "),
        "{duplicate:?}"
    );
    assert_eq!(duplicate.holder.as_deref(), Some("Buyer 0"));
    // Online, the server's clock orders scans: a scan handled later with an earlier time
    // (two requests racing) is a duplicate, never a second admission.
    let (_, more) = tickets(&app, &event, &types[0], 1).await;
    let now = Utc::now();
    let first = checkin::check_in(state, &door, &scan("r-1", &more[0], None), now)
        .await
        .unwrap();
    let raced = checkin::check_in(
        state,
        &door,
        &scan("r-2", &more[0], None),
        now - Duration::seconds(1),
    )
    .await
    .unwrap();
    assert_eq!(
        (first.result, raced.result),
        (ScanResult::Admitted, ScanResult::Duplicate)
    );
    // A repeated scan id is answered as the first time and records nothing new.
    let again = checkin::check_in(state, &door, &scans[0], Utc::now())
        .await
        .unwrap();
    assert_eq!(again.result, answers[0].result);
    let rows: Vec<i64> = query(&app, "RETURN [count(SELECT id FROM checkin)]", &[]).await;
    assert_eq!(rows, vec![22]);
    let counts = checkin::counts(state, &event).await.unwrap();
    assert_eq!((counts[0].checked_in, counts[0].sold), (6, 6));
    assert_eq!(crate::check::violations(&app).await, Vec::<String>::new());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_scans_synced_late_let_the_earliest_admit_and_record_the_other() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let (_, passes) = tickets(&app, &event, &types[0], 1).await;
    let door = organizer_door(&app, &event).await;
    let now = Utc::now();
    let link = doors::create_device_link(state, &door, "Door B", 2, now)
        .await
        .unwrap();
    let token = link.split("#device=").nth(1).unwrap();
    let door_b = checkin::door(state, None, &event, Some(token), now)
        .await
        .unwrap();
    // Door B scanned at 19:05 and syncs first; door A scanned at 19:02 and syncs later.
    let b = checkin::sync(
        state,
        &door_b,
        vec![scan("b-1", &passes[0], Some(now - Duration::minutes(5)))],
        now,
    )
    .await
    .unwrap();
    assert_eq!(b[0].result, ScanResult::Admitted);
    let a = checkin::sync(
        state,
        &door,
        vec![scan("a-1", &passes[0], Some(now - Duration::minutes(8)))],
        now,
    )
    .await
    .unwrap();
    assert_eq!(a[0].result, ScanResult::Admitted, "the earlier scan admits");
    let log: Vec<(String, String)> = query(
        &app,
        "SELECT VALUE [scan_id, result] FROM checkin ORDER BY scanned_at",
        &[],
    )
    .await;
    assert_eq!(
        log,
        vec![
            ("a-1".into(), "admitted".into()),
            ("b-1".into(), "duplicate".into())
        ]
    );
    let winner: Vec<String> = query(&app, "SELECT VALUE checkin_scan FROM ticket", &[]).await;
    assert_eq!(winner, vec!["a-1".to_owned()]);
    // Syncing either again changes nothing.
    checkin::sync(
        state,
        &door,
        vec![scan("b-1", &passes[0], Some(now - Duration::minutes(5)))],
        now,
    )
    .await
    .unwrap();
    let winner: Vec<String> = query(&app, "SELECT VALUE checkin_scan FROM ticket", &[]).await;
    assert_eq!(winner, vec!["a-1".to_owned()]);
    // The organizer sees both doors.
    let twice = doors::duplicates(state, &door).await.unwrap();
    assert_eq!(twice.len(), 1);
    assert!(twice[0].scanned.ends_with(" by Door B"), "{twice:?}");
    assert!(
        twice[0].admitted.ends_with(&format!(" by {}", door.label)),
        "{twice:?}"
    );
    assert_eq!(
        doors::duplicates(state, &door_b).await.err(),
        Some(AppError::Forbidden)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doors_scan_only_at_their_event_and_refused_tickets_say_why() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event_a, types_a) = event_with(&app, &[("Standard", "25", "50")]).await;
    let (event_b, types_b) = event_with(&app, &[("Standard", "25", "50")]).await;
    let (refunded_order, passes_a) = tickets(&app, &event_a, &types_a[0], 2).await;
    let (_, passes_b) = tickets(&app, &event_b, &types_b[0], 1).await;
    let organizer = organizer_door(&app, &event_a).await;

    // A staff account of event A checks in at A only.
    let staff = buyers(&app, 1).await.remove(0);
    doors::add_staff_account(state, &organizer, &Email::parse(&staff.email).unwrap())
        .await
        .unwrap();
    let door = checkin::door(state, Some(&staff), &event_a, None, Utc::now())
        .await
        .unwrap();
    assert!(!door.organizer);
    let refused = checkin::door(state, Some(&staff), &event_b, None, Utc::now()).await;
    assert_eq!(refused.err(), Some(AppError::Forbidden));
    // A ticket of event B at event A's door, a forged pass, a refunded ticket.
    let answer = checkin::check_in(state, &door, &scan("x1", &passes_b[0], None), Utc::now())
        .await
        .unwrap();
    assert_eq!(answer.result, ScanResult::Refused);
    let mut forged = passes_a[0].clone();
    forged.replace_range(10..11, if &forged[10..11] == "A" { "B" } else { "A" });
    let answer = checkin::check_in(state, &door, &scan("x2", &forged, None), Utc::now())
        .await
        .unwrap();
    assert_eq!(answer.result, ScanResult::Refused);
    assert!(
        answer.message.contains("not valid") || answer.message.contains("not a TickEx"),
        "{answer:?}"
    );
    orders::refund_order(state, &admin(), &refunded_order)
        .await
        .unwrap();
    let answer = checkin::check_in(state, &door, &scan("x3", &passes_a[1], None), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (answer.result, answer.message.as_str()),
        (ScanResult::Refused, "refunded or cancelled")
    );

    // A device link works until it expires or is withdrawn, and only for its event.
    let now = Utc::now();
    let link = doors::create_device_link(state, &organizer, "Door 2", 2, now)
        .await
        .unwrap();
    let token = link.split("#device=").nth(1).unwrap().to_owned();
    let device = checkin::door(state, None, &event_a, Some(&token), now)
        .await
        .unwrap();
    assert_eq!(device.label, "Door 2");
    let elsewhere = checkin::door(state, None, &event_b, Some(&token), now).await;
    assert_eq!(elsewhere.err(), Some(AppError::Forbidden));
    let later = checkin::door(
        state,
        None,
        &event_a,
        Some(&token),
        now + Duration::hours(3),
    )
    .await;
    assert!(
        matches!(later, Err(AppError::Validation(ref m)) if m.contains("expired")),
        "{later:?}"
    );
    let doors = doors::staff(state, &organizer, now).await.unwrap();
    let row = doors.iter().find(|d| d.label == "Door 2").unwrap();
    doors::revoke_staff(state, &organizer, &row.id)
        .await
        .unwrap();
    let revoked = checkin::door(state, None, &event_a, Some(&token), now).await;
    assert!(
        matches!(revoked, Err(AppError::Validation(_))),
        "{revoked:?}"
    );
    // Nobody else: no account, no link.
    let stranger = checkin::door(state, None, &event_a, None, now).await;
    assert_eq!(stranger.err(), Some(AppError::Unauthenticated));
    // Staff may not undo; the organizer may.
    let (_, passes) = tickets(&app, &event_a, &types_a[0], 1).await;
    checkin::check_in(state, &door, &scan("y1", &passes[0], None), Utc::now())
        .await
        .unwrap();
    let reference: Vec<String> = query(
        &app,
        "SELECT VALUE reference FROM ticket WHERE code = $code",
        &[("code", &code_of(&passes[0]))],
    )
    .await;
    assert_eq!(
        checkin::undo(state, &door, &reference[0]).await.err(),
        Some(AppError::Forbidden)
    );
    checkin::undo(state, &organizer, &reference[0])
        .await
        .unwrap();
    assert!(checkin::undo(state, &organizer, &reference[0])
        .await
        .is_err());
    let answer = checkin::check_in(state, &door, &scan("y2", &passes[0], None), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        answer.result,
        ScanResult::Admitted,
        "valid again after the undo"
    );
    app.stop().await;
}

/// A ticket issued before passes still checks in by its bare code, and the code typed at
/// the door in groups works too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_bare_code_checks_in_online() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let (order, _) = tickets(&app, &event, &types[0], 1).await;
    let codes: Vec<String> = query(
        &app,
        "SELECT VALUE code FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &order)],
    )
    .await;
    let typed = codes[0]
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let door = organizer_door(&app, &event).await;
    let answer = checkin::check_in(
        state,
        &door,
        &scan("z1", &typed.to_lowercase(), None),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(answer.result, ScanResult::Admitted);
    let data = checkin::door_data(state, &door, Utc::now()).await.unwrap();
    assert_eq!(data.public_keys.len(), 1);
    assert!(data.tickets[0]
        .checked_in
        .as_deref()
        .unwrap()
        .ends_with(" by Ops"));
    // The attendee export says when and at which door.
    let export =
        tickex::server::services::dashboard::export_csv(state, &admin(), &event, "attendees")
            .await
            .unwrap();
    let header = export.csv.lines().next().unwrap();
    assert!(
        header.ends_with(",checked_in_at_utc,door,holder_email"),
        "{header}"
    );
    assert!(
        export.csv.lines().nth(1).unwrap().ends_with(",Ops,"),
        "{}",
        export.csv
    );
    app.stop().await;
}

/// A door learns of other doors' scans and of refunds from its changes; a rotated key signs
/// new passes while passes sent earlier still admit; a replaced pass is refused; every
/// change to the doors is logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doors_see_each_other_and_keys_rotate() {
    let app = spawn_app().await;
    let state = &app.server.state;
    let (event, types) = event_with(&app, &[("Standard", "25", "50")]).await;
    let (_, passes) = tickets(&app, &event, &types[0], 4).await;
    let (refunded, refunded_passes) = tickets(&app, &event, &types[0], 1).await;
    let door = organizer_door(&app, &event).await;
    let data = checkin::door_data(state, &door, Utc::now()).await.unwrap();
    assert!(data.tickets.iter().all(|t| t.issue == 1));
    let quiet = checkin::changes(state, &door, &data.cursor, Utc::now())
        .await
        .unwrap();
    assert!(quiet.tickets.is_empty() && quiet.revoked.is_empty());
    assert!(checkin::changes(state, &door, "yesterday", Utc::now())
        .await
        .is_err());

    // Door 7 (a device link) admits a ticket; the organizer's door hears of it.
    let link = doors::create_device_link(state, &door, "Door 7", 2, Utc::now())
        .await
        .unwrap();
    let token = link.split("#device=").nth(1).unwrap();
    let other = checkin::door(state, None, &event, Some(token), Utc::now())
        .await
        .unwrap();
    checkin::check_in(state, &other, &scan("c1", &passes[0], None), Utc::now())
        .await
        .unwrap();
    orders::refund_order(state, &admin(), &refunded)
        .await
        .unwrap();
    let seen = checkin::changes(state, &door, &data.cursor, Utc::now())
        .await
        .unwrap();
    assert_eq!(seen.tickets.len(), 1, "{seen:?}");
    assert!(seen.tickets[0]
        .checked_in
        .as_deref()
        .unwrap()
        .ends_with(" by Door 7"));
    assert_eq!(seen.counts[0].checked_in, 1);
    let refunded_code: Vec<String> = query(
        &app,
        "SELECT VALUE code FROM ticket WHERE purchase = type::record('purchase', $id)",
        &[("id", &refunded)],
    )
    .await;
    assert_eq!(seen.revoked, refunded_code);
    let answer = checkin::check_in(
        state,
        &door,
        &scan("c2", &refunded_passes[0], None),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(answer.result, ScanResult::Refused);

    // Only the organizer rotates; new passes carry the new key, old ones still admit.
    assert_eq!(
        doors::rotate_key(state, &other).await.err(),
        Some(AppError::Forbidden)
    );
    assert_eq!(doors::rotate_key(state, &door).await.unwrap(), 2);
    let fresh = checkin::pass_for(state, &event, &code_of(&passes[2]), 1)
        .await
        .unwrap();
    assert_ne!(fresh, passes[2], "signed with the new key");
    let data = checkin::door_data(state, &door, Utc::now()).await.unwrap();
    assert_eq!(data.public_keys.len(), 2);
    for (id, pass) in [("c3", &passes[1]), ("c4", &fresh)] {
        let answer = checkin::check_in(state, &door, &scan(id, pass, None), Utc::now())
            .await
            .unwrap();
        assert_eq!(answer.result, ScanResult::Admitted, "{answer:?}");
    }

    // A re-issued ticket: the pass of its old issue is refused, the new one admits.
    let replaced = code_of(&passes[3]);
    let _: Vec<String> = query(
        &app,
        "UPDATE ticket SET issue = 2 WHERE code = $code RETURN VALUE code",
        &[("code", &replaced)],
    )
    .await;
    let answer = checkin::check_in(state, &door, &scan("c5", &passes[3], None), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (answer.result, answer.message.as_str()),
        (ScanResult::Refused, "replaced by a newer ticket")
    );
    let reissued = checkin::pass_for(state, &event, &replaced, 2)
        .await
        .unwrap();
    let answer = checkin::check_in(state, &door, &scan("c6", &reissued, None), Utc::now())
        .await
        .unwrap();
    assert_eq!(answer.result, ScanResult::Admitted);

    let log: Vec<String> = query(
        &app,
        "SELECT VALUE action FROM door_log WHERE event = type::record('event', $id)
         ORDER BY at",
        &[("id", &event)],
    )
    .await;
    assert_eq!(log, ["key_made", "link_made", "key_made"]);
    app.stop().await;
}
