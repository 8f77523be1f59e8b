//! The emails that tell a buyer what became of their order or its event: refunded, the
//! event cancelled, its date, time or place changed (with a calendar file). Built when they
//! are sent, from the records as they are then.
use super::calendar::{event_ics, CalendarEvent};
use super::templates::{self, NoticeEmail};
use super::{Attachment, Email};
use crate::domain::OrderStatus;
use crate::server::db::events::EventRecord;
use crate::server::db::orders::{OrderRecord, OrderRepo};
use crate::server::db::outbox::OutboxRow;
use crate::server::db::EventRepo;
use crate::server::format::{format_when, money, place};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};

/// The email of an outbox row of kind `refund`, `event_cancelled` or `event_changed`;
/// `queued_at` orders the calendar entries of successive changes.
pub async fn order_notice(
    state: &AppState,
    kind: &str,
    order_id: &str,
    to: &str,
    queued_at: DateTime<Utc>,
) -> Result<Email, String> {
    let (order, event) = order_and_event(state, order_id).await?;
    let base = &state.settings.public_base_url;
    let when = format_when(event.starts_at, &event.time_zone);
    let where_ = place(&event.venue, &event.address, event.online_url.as_deref());
    let hi = format!("Hi {},", order.buyer_name);
    let kicker = format!("Order {}", order.reference);
    let (subject, paragraphs, details, button, attachments) = match kind {
        "refund" => {
            let what = if order.late_payment_refunded {
                "your payment arrived after your order could no longer be filled (its reservation had lapsed and the tickets were sold, or it was cancelled), so no tickets were issued and your money was refunded."
            } else {
                "your order was cancelled by the organizer and refunded. Its tickets are no longer valid."
            };
            (
                format!("Refund for your order {}", order.reference),
                vec![format!("{hi} {what}"), refund_note(&order)?],
                vec![
                    ("Refund".to_owned(), refund_amount(&order)?),
                    ("Event".to_owned(), when.clone()),
                ],
                ("See your order".to_owned(), format!("{base}/orders/{}", order.id)),
                Vec::new(),
            )
        }
        "event_cancelled" => (
            format!("Cancelled: {}", event.title),
            vec![
                format!(
                    "{hi} we are sorry: {} on {when} has been cancelled by its organizer. Your tickets are no longer valid.",
                    event.title
                ),
                refund_note(&order)?,
            ],
            vec![("Refund".to_owned(), refund_amount(&order)?)],
            ("See your order".to_owned(), format!("{base}/orders/{}", order.id)),
            Vec::new(),
        ),
        "event_changed" => {
            if order.status != OrderStatus::Paid {
                return Err("the order is no longer paid".into());
            }
            (
                format!("Changed: {} has a new date, time or place", event.title),
                vec![format!(
                    "{hi} the organizer changed the date, time or place of {}. Your tickets stay valid. This is where and when it is now; the calendar file attached updates your calendar.",
                    event.title
                )],
                vec![
                    ("When".to_owned(), when.clone()),
                    ("Ends".to_owned(), format_when(event.ends_at, &event.time_zone)),
                    ("Where".to_owned(), where_.clone()),
                ],
                ("See your tickets".to_owned(), format!("{base}/tickets")),
                vec![calendar_file(state, &event, queued_at)],
            )
        }
        other => return Err(format!("unknown email kind {other}")),
    };
    Ok(templates::notice_email(NoticeEmail {
        to: to.to_owned(),
        subject,
        kicker,
        title: event.title,
        paragraphs,
        details,
        button,
        attachments,
    }))
}

pub(super) async fn order_and_event(
    state: &AppState,
    order_id: &str,
) -> Result<(OrderRecord, EventRecord), String> {
    let order = OrderRepo(&state.db)
        .find(order_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the order is gone")?;
    let (event, _) = EventRepo(&state.db)
        .find_by_id(&order.event)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the event is gone")?;
    Ok((order, event))
}

/// What goes back: the total less what was refunded in part before.
fn refund_amount(order: &OrderRecord) -> Result<String, String> {
    money(order.total_minor - order.refunded_minor, &order.currency)
        .map(|m| m.to_string())
        .map_err(|e| e.to_string())
}

fn refund_note(order: &OrderRecord) -> Result<String, String> {
    Ok(if order.total_minor - order.refunded_minor > 0 {
        format!(
            "{} goes back to the card or account you paid with. Banks usually take 5 to 10 business days to show it.",
            refund_amount(order)?
        )
    } else {
        "Nothing was charged for this order, so there is nothing to refund.".to_owned()
    })
}

/// The event as a calendar entry; `version` (when the email was queued) makes a later
/// entry replace an earlier one.
pub fn calendar_file(state: &AppState, event: &EventRecord, version: DateTime<Utc>) -> Attachment {
    let location = match &event.online_url {
        Some(url) if event.venue.is_empty() => url.clone(),
        _ => place(&event.venue, &event.address, None),
    };
    let ics = event_ics(
        &CalendarEvent {
            uid: &format!("{}@tickex", event.id),
            sequence: version.timestamp(),
            title: &event.title,
            starts_at: event.starts_at,
            ends_at: event.ends_at,
            location: &location,
            url: &format!("{}/events/{}", state.settings.public_base_url, event.slug),
        },
        Utc::now(),
    );
    Attachment {
        filename: "event.ics".into(),
        content_type: "text/calendar",
        content: ics.into_bytes(),
        content_id: None,
    }
}

/// The offer to the next in line: the seat held for them, until when, and the link that
/// takes it (with the key only this email carries).
pub(super) async fn waitlist_offer(state: &AppState, row: &OutboxRow) -> Result<Email, String> {
    let (Some(entry), Some(key)) = (&row.waitlist_entry, &row.link_key) else {
        return Err("a waiting-list offer without its entry or link".into());
    };
    let offer = crate::server::services::waitlist::offer_view(state, entry, key)
        .await
        .map_err(|e| e.to_string())?;
    let link = format!(
        "{}/waitlist/{}?key={}",
        state.settings.public_base_url,
        crate::domain::urlencode(entry),
        crate::domain::urlencode(key)
    );
    let text = format!(
        "Hi {},\n\nA “{}” ticket for {} is free, and it is held for you until {}.\n\nBuy it here: {link}\n\nNot going any more? Do nothing: when the time is up the ticket goes to the next person in line.",
        offer.name, offer.type_name, offer.event_title, offer.until
    );
    Ok(Email {
        to: row.recipient.clone(),
        subject: format!("A ticket for {} is waiting for you", offer.event_title),
        html: templates::text_as_html(&text),
        text,
        attachments: Vec::new(),
    })
}
