use super::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Draft,
    Published,
    Cancelled,
}

impl EventStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventStatus::Draft => "draft",
            EventStatus::Published => "published",
            EventStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "draft" => Some(EventStatus::Draft),
            "published" => Some(EventStatus::Published),
            "cancelled" => Some(EventStatus::Cancelled),
            _ => None,
        }
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketTypeView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub price: Money,
    pub remaining: u32,
    pub max_per_order: u32,
    pub on_sale: bool,
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
}

#[cfg(test)]
mod tests {
    use super::*;

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

/// A row of the organizer's own event list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizerEventRow {
    pub slug: String,
    pub title: String,
    pub when: String,
    pub status: EventStatus,
    pub sold: u32,
    pub capacity: u32,
}
