use super::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

status_enum! {
    /// An event: a draft until published; cancelled is final.
    EventStatus {
        Draft => "draft",
        Published => "published",
        Cancelled => "cancelled",
    }
}

/// An event as listed on the home page. Dates arrive already formatted in the event's own
/// time zone so the server render and the hydrated page agree to the character.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    pub slug: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub when: String,
    pub place: String,
    pub image_url: Option<String>,
    pub price_from: Option<Money>,
    pub sold_out: bool,
}

/// One page of the public event list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventListPage {
    pub events: Vec<EventSummary>,
    pub page: u32,
    pub has_next: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketTypeView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub price: Money,
    pub remaining: u32,
    pub min_per_order: u32,
    /// At most this many per order (never more than remain).
    pub max_per_order: u32,
    pub on_sale: bool,
    /// "Only 5 left", "Sold out", "Sales open Sat 1 Mar 2027, 10:00 CET"...
    pub note: String,
    /// The price with the buyer's code, when the code lowers it.
    pub code_price: Option<Money>,
    /// Sold out, and buyers may join its waiting list.
    pub waitlist: bool,
}

impl TicketTypeView {
    /// "2 to 6 per order", "Up to 10 per order": what a buyer may choose.
    pub fn per_order(&self) -> String {
        match (self.min_per_order, self.max_per_order) {
            (_, 0) => String::new(),
            (min, max) if min > 1 && min < max => format!("{min} to {max} per order"),
            (min, max) if min > 1 && min == max => format!("Exactly {min} per order"),
            (_, max) => format!("Up to {max} per order"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub when: String,
    pub time_zone: String,
    pub venue: String,
    pub address: String,
    pub online_url: Option<String>,
    pub image_url: Option<String>,
    pub organizer_name: String,
    pub status: EventStatus,
    pub ticket_types: Vec<TicketTypeView>,
    /// RFC 3339 in the event's zone, for machine-readable markup.
    pub starts_at_iso: String,
    pub ends_at_iso: String,
    pub canonical_url: String,
    /// The cover as an absolute URL, for link previews and search engines.
    pub share_image_url: Option<String>,
    /// Payments go to the local demo gateway (no Stripe keys configured).
    pub payments_test_mode: bool,
    /// The viewer may edit this event (its organizer, or an admin).
    pub can_manage: bool,
    /// What buyers are asked at checkout.
    pub questions: Vec<super::question::Question>,
}

/// What an organizer can do to an event's status. Cancelled is final; an event with tickets
/// sold or held cannot go back to draft (its buyers' page would vanish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    Publish,
    Unpublish,
    Cancel,
}

impl EventAction {
    pub fn target(self, from: EventStatus, tickets_taken: bool) -> Result<EventStatus, String> {
        use EventStatus::*;
        match (self, from) {
            (_, Cancelled) => Err("This event is cancelled; it cannot change any more.".into()),
            (EventAction::Publish, Draft) => Ok(Published),
            (EventAction::Publish, Published) => Err("This event is already published.".into()),
            (EventAction::Unpublish, Published) if tickets_taken => Err(
                "Tickets have been sold, so this event cannot go back to draft. Cancel it instead."
                    .into(),
            ),
            (EventAction::Unpublish, Published) => Ok(Draft),
            (EventAction::Unpublish, Draft) => Err("This event is already a draft.".into()),
            (EventAction::Cancel, _) => Ok(Cancelled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes_follow_the_rules() {
        use EventAction::*;
        use EventStatus::*;
        assert_eq!(Publish.target(Draft, false), Ok(Published));
        assert_eq!(Unpublish.target(Published, false), Ok(Draft));
        assert!(Unpublish.target(Published, true).is_err());
        assert_eq!(Cancel.target(Published, true), Ok(Cancelled));
        for action in [Publish, Unpublish, Cancel] {
            assert!(action.target(Cancelled, false).is_err());
        }
    }

    #[test]
    fn status_round_trips() {
        for status in [
            EventStatus::Draft,
            EventStatus::Published,
            EventStatus::Cancelled,
        ] {
            assert_eq!(EventStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(EventStatus::parse("deleted"), None);
    }
}

/// An event loaded into the editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEditorData {
    pub id: String,
    pub slug: String,
    pub status: EventStatus,
    pub form: super::event_form::EventForm,
    pub image_url: Option<String>,
    /// Per ticket row: tickets sold or held, the floor for its capacity.
    pub taken: Vec<u32>,
    /// Refunds of its orders the payment provider has not accepted yet (retried).
    pub refunds_owed: u32,
    /// Ticket holders may pass their tickets on until it starts.
    pub transfers_allowed: bool,
}

/// What changing an event's status did; cancelling also settles its orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: EventStatus,
    /// Paid orders refunded (each buyer emailed).
    pub refunded: u32,
    /// Of those, refunds the payment provider refused or failed: TickEx retries them.
    pub refunds_failed: u32,
    /// Of those, refunds still being sent in the background (a large event).
    pub refunds_waiting: u32,
    /// Orders waiting for payment that were cancelled.
    pub holds_cancelled: u32,
}

impl StatusChange {
    /// What the organizer is told after cancelling.
    pub fn summary(&self) -> String {
        let mut text = match self.refunded {
            0 => "The event is cancelled. No paid orders needed a refund.".to_owned(),
            1 => "The event is cancelled. 1 order was refunded and its buyer emailed.".to_owned(),
            n => format!(
                "The event is cancelled. {n} orders were refunded and their buyers emailed."
            ),
        };
        match self.refunds_failed {
            0 => {}
            1 => text.push_str(" 1 refund failed at the payment provider; TickEx keeps retrying it until it is accepted."),
            n => text.push_str(&format!(" {n} refunds failed at the payment provider; TickEx keeps retrying them until they are accepted.")),
        }
        match self.refunds_waiting {
            0 => {}
            1 => text.push_str(" 1 refund is still being sent in the background."),
            n => text.push_str(&format!(
                " {n} refunds are still being sent in the background."
            )),
        }
        text
    }
}
