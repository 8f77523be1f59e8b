use super::*;
use chrono::{TimeZone, Utc};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
}

fn good_form() -> EventForm {
    let mut b = EventFormBuilder::default();
    for (k, v) in [
        ("title", "Rust Meetup"),
        ("description", "Talks."),
        ("currency", "EUR"),
        ("time_zone", "Europe/Berlin"),
        ("starts_at", "2027-03-13T19:00"),
        ("ends_at", "2027-03-13T22:00"),
        ("venue", "Hall A"),
        ("ticket_id", ""),
        ("ticket_name", "Standard"),
        ("ticket_price", "12.50"),
        ("ticket_capacity", "100"),
        ("ticket_id", ""),
        ("ticket_name", "Free"),
        ("ticket_price", "0"),
        ("ticket_capacity", "5"),
    ] {
        assert!(b.push(k, v.to_owned()));
    }
    b.finish()
}

fn fields(form: &EventForm) -> Vec<String> {
    validate(form, Mode::Create, now())
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn a_good_form_is_read_in_the_event_zone() {
    let event = validate(&good_form(), Mode::Create, now()).unwrap();
    assert_eq!(
        event.starts_at,
        Utc.with_ymd_and_hms(2027, 3, 13, 18, 0, 0).unwrap()
    );
    assert_eq!(event.tickets.len(), 2);
    assert_eq!(event.tickets[0].price.minor(), 1250);
    assert_eq!(event.tickets[1].max_per_order, 10);
}

#[test]
fn each_bad_field_is_named() {
    let mut form = good_form();
    form.ends_at = "2027-03-13T18:00".into();
    form.time_zone = "Mars/Olympus".into();
    form.tickets[1].price = "0.10".into();
    form.tickets[0].capacity = "-3".into();
    let got = fields(&form);
    assert!(got.contains(&"time_zone".to_owned()), "{got:?}");
    assert!(got.contains(&"ticket_price.1".to_owned()), "{got:?}");
    assert!(got.contains(&"ticket_capacity.0".to_owned()), "{got:?}");
    let mut form = good_form();
    form.ends_at = "2027-03-13T18:00".into();
    assert_eq!(fields(&form), vec!["ends_at"]);
}

#[test]
fn blank_rows_are_ignored_but_one_ticket_is_required() {
    let mut form = good_form();
    form.tickets.push(TicketForm::default());
    assert_eq!(
        validate(&form, Mode::Create, now()).unwrap().tickets.len(),
        2
    );
    form.tickets = vec![TicketForm::default()];
    assert_eq!(fields(&form), vec!["ticket_name.0"]);
}

#[test]
fn past_starts_are_refused_only_when_creating() {
    let mut form = good_form();
    form.starts_at = "2026-12-01T19:00".into();
    form.ends_at = "2026-12-01T20:00".into();
    assert_eq!(fields(&form), vec!["starts_at"]);
    assert!(validate(&form, Mode::Edit, now()).is_ok());
}

#[test]
fn a_time_skipped_by_daylight_saving_is_refused() {
    let mut form = good_form();
    form.starts_at = "2027-03-28T02:30".into();
    form.ends_at = "2027-03-28T05:00".into();
    assert_eq!(fields(&form), vec!["starts_at"]);
}

#[test]
fn steps_follow_the_wizard() {
    assert_eq!(step_of_field("title"), 0);
    assert_eq!(step_of_field("ends_at"), 1);
    assert_eq!(step_of_field("ticket_price.3"), 2);
    assert_eq!(step_of_field("image"), 3);
}
