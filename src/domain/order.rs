//! Orders and tickets as the pages see them, and the order state machine.
use super::Money;
use serde::{Deserialize, Serialize};

status_enum! {
    /// An order's life: `pending` while its seats are held, then exactly one of the others.
    OrderStatus {
        Pending => "pending",
        Paid => "paid",
        Expired => "expired",
        Cancelled => "cancelled",
        Refunded => "refunded",
    }
}

impl OrderStatus {
    /// The transitions the order services perform. A payment that arrives after the hold
    /// lapsed (`expired` -> `paid`) takes stock again when there is some; one for an order
    /// that was cancelled (by the organizer, or with its event) is refunded, never fulfilled.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Paid | Expired | Cancelled)
                | (Expired, Paid | Refunded)
                | (Cancelled | Paid, Refunded)
        )
    }
}

/// One ticket type and quantity the buyer picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutLine {
    pub ticket_type_id: String,
    #[serde(deserialize_with = "quantity")]
    pub quantity: u32,
}

/// A quantity as a number, or as form text where an empty field (a type the buyer left
/// alone, with the page's JavaScript not running) means none.
fn quantity<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Quantity {
        Number(u32),
        Text(String),
    }
    match Quantity::deserialize(deserializer)? {
        Quantity::Number(n) => Ok(n),
        Quantity::Text(text) if text.trim().is_empty() => Ok(0),
        Quantity::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("Enter a whole number of tickets.")),
    }
}

/// The most tickets one order may hold, across its lines.
pub const MAX_TICKETS_PER_ORDER: u32 = 50;

status_enum! {
    /// A ticket: valid until used at the door, or void once its order is refunded.
    TicketStatus {
        Valid => "valid",
        Void => "void",
        CheckedIn => "checked_in",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    pub reference: String,
    pub type_name: String,
    pub holder_name: String,
    pub status: TicketStatus,
    /// Grows with each transfer: a transfer names the issue its page showed, so a second
    /// click on a stale page moves nothing.
    pub issue: i64,
    /// (question, answer) given for this ticket or its order.
    pub answers: Vec<(String, String)>,
    /// Its ticket type and its own answers as given, to correct them.
    pub type_id: String,
    pub answer_values: Vec<super::question::Answer>,
    /// The QR code of the ticket's secret code, as an SVG document made by the server.
    pub qr_svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub name: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub subtotal: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub reference: String,
    pub event_title: String,
    pub event_slug: String,
    pub event_when: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLineView>,
    pub total: Money,
    pub tickets: Vec<TicketView>,
    /// Payments run through the local demo gateway, not Stripe.
    pub test_mode: bool,
    /// Paid after the hold lapsed with nothing left to sell: refunded automatically.
    pub late_payment_refunded: bool,
    /// Part of the payment refunded (the tickets stay valid), if any.
    pub partly_refunded: Option<Money>,
    /// The questions asked, while names and answers may still be corrected (paid, before
    /// the event starts); none otherwise.
    pub correctable: Option<Vec<super::question::Question>>,
    /// The answers given once for the order.
    pub order_answers: Vec<super::question::Answer>,
}

/// "My tickets": one event and the signed-in user's tickets for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketGroup {
    pub event_title: String,
    pub event_slug: String,
    pub event_when: String,
    pub place: String,
    pub tickets: Vec<TicketView>,
}

/// A named attendee's own ticket, opened by the link in their ticket email: the ticket and
/// its event, never the rest of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldTicket {
    /// The order it belongs to (a transfer names it; it opens nothing by itself).
    pub order_id: String,
    pub event: TicketGroup,
    /// Why it cannot be transferred now, if it cannot.
    pub transfer_closed: Option<String>,
}

/// An email as the dev mailbox shows it (only without an email provider).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevEmail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub status: String,
    pub error: Option<String>,
    pub queued: String,
}

/// An order row on the organizer's event page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizerOrderRow {
    pub id: String,
    pub reference: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: OrderStatus,
    pub tickets: u32,
    pub total: Money,
    pub late_payment_refunded: bool,
    pub created: String,
    /// The ticket email: `pending`, `sent`, or `failed: <reason>`.
    pub email_status: Option<String>,
}

/// The organizer's search over an event's orders or attendees: free text (order or ticket
/// reference, buyer name or email, matched case-insensitively) and an optional status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderSearch {
    text: String,
    status: Option<OrderStatus>,
}

impl OrderSearch {
    pub const MAX_TEXT: usize = 100;

    /// `status` is empty for "any status".
    pub fn parse(text: &str, status: &str) -> Result<Self, String> {
        let text = text.trim().to_lowercase();
        if text.chars().count() > Self::MAX_TEXT {
            return Err(format!("Search for at most {} characters.", Self::MAX_TEXT));
        }
        let status = match status.trim() {
            "" => None,
            other => Some(
                OrderStatus::parse(other)
                    .ok_or_else(|| format!("Unknown order status “{other}”."))?,
            ),
        };
        Ok(Self { text, status })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn status(&self) -> Option<OrderStatus> {
        self.status
    }
}

/// How many rows the organizer's order and attendee lists show; a search narrows them.
pub const ORGANIZER_LIST_LIMIT: usize = 100;

/// One ticket as the organizer's attendee list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendeeRow {
    pub reference: String,
    pub holder_name: String,
    pub buyer_email: String,
    pub type_name: String,
    pub status: TicketStatus,
    pub order_id: String,
    pub order_reference: String,
    /// "19:02 by Door 2" once checked in.
    pub checked_in: Option<String>,
    /// Where this ticket was also sent (its holder's own email).
    pub holder_email: Option<String>,
    /// (question, answer) given for this ticket or its order.
    pub answers: Vec<(String, String)>,
}

/// One entry of an order's append-only status log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLogEntry {
    pub at: String,
    pub from: Option<String>,
    pub to: String,
    /// `user:<id>`, `webhook`, `sweeper`...
    pub actor: String,
    pub note: Option<String>,
}

/// An order as its event's organizer sees it: buyer, lines, tickets and status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedOrder {
    pub id: String,
    pub reference: String,
    pub event_id: String,
    pub event_title: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLineView>,
    pub total: Money,
    pub created: String,
    pub email_status: Option<String>,
    pub late_payment_refunded: bool,
    /// Part of the payment refunded (the tickets stay valid), if any.
    pub partly_refunded: Option<Money>,
    pub tickets: Vec<AttendeeRow>,
    pub log: Vec<OrderLogEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_search_is_trimmed_lowercased_and_checked() {
        let search = OrderSearch::parse("  Ada@Example.ORG ", "paid").unwrap();
        assert_eq!(search.text(), "ada@example.org");
        assert_eq!(search.status(), Some(OrderStatus::Paid));
        assert_eq!(OrderSearch::parse("", "").unwrap(), OrderSearch::default());
        assert!(OrderSearch::parse("x", "shipped")
            .unwrap_err()
            .contains("shipped"));
        assert!(OrderSearch::parse(&"x".repeat(101), "").is_err());
    }
    use OrderStatus::*;

    const ALL: &[OrderStatus] = OrderStatus::ALL;

    #[test]
    fn statuses_round_trip() {
        for s in ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(*s));
        }
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }

    #[test]
    fn a_quantity_left_empty_in_a_form_is_none() {
        let line = |quantity: &str| {
            serde_json::from_str::<CheckoutLine>(&format!(
                r#"{{"ticket_type_id":"t1","quantity":{quantity}}}"#
            ))
            .map(|l| l.quantity)
        };
        assert_eq!(line("3").unwrap(), 3);
        assert_eq!(line(r#""3""#).unwrap(), 3);
        assert_eq!(line(r#""""#).unwrap(), 0);
        assert_eq!(line(r#"" 2 ""#).unwrap(), 2);
        assert!(line(r#""two""#).is_err());
        assert!(line("-1").is_err());
    }

    #[test]
    fn only_the_documented_transitions_exist() {
        let allowed: Vec<_> = ALL
            .iter()
            .flat_map(|from| ALL.iter().map(move |to| (*from, *to)))
            .filter(|(from, to)| from.can_become(*to))
            .collect();
        assert_eq!(allowed.len(), 7, "{allowed:?}");
        assert!(!Refunded.can_become(Paid), "refunded is final");
        assert!(
            !Cancelled.can_become(Paid),
            "a cancelled order is never fulfilled"
        );
        assert!(!Paid.can_become(Pending));
        assert!(Expired.can_become(Paid), "a late payment may still succeed");
    }
}
