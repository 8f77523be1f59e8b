//! Orders and tickets as the pages see them, and the order state machine.
use super::Money;
use serde::{Deserialize, Serialize};

/// An order's life: `pending` while its seats are held, then exactly one of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
    Expired,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Expired => "expired",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            OrderStatus::Pending,
            OrderStatus::Paid,
            OrderStatus::Expired,
            OrderStatus::Cancelled,
            OrderStatus::Refunded,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    /// The transitions the order services perform. A payment that arrives after the hold
    /// lapsed (`expired`/`cancelled` -> `paid`) takes stock again when there is some.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Paid | Expired | Cancelled)
                | (Expired | Cancelled, Paid | Refunded)
                | (Paid, Refunded)
        )
    }
}

/// One ticket type and quantity the buyer picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutLine {
    pub ticket_type_id: String,
    pub quantity: u32,
}

/// The most tickets one order may hold, across its lines.
pub const MAX_TICKETS_PER_ORDER: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Valid,
    Void,
    CheckedIn,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    pub reference: String,
    pub type_name: String,
    pub holder_name: String,
    pub status: TicketStatus,
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
    pub buyer_email: String,
    pub status: OrderStatus,
    pub tickets: u32,
    pub total: Money,
    pub late_payment_refunded: bool,
    pub created: String,
    /// The ticket email: `pending`, `sent`, or `failed: <reason>`.
    pub email_status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const ALL: [OrderStatus; 5] = [Pending, Paid, Expired, Cancelled, Refunded];

    #[test]
    fn statuses_round_trip() {
        for s in ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn only_the_documented_transitions_exist() {
        let allowed: Vec<_> = ALL
            .iter()
            .flat_map(|from| ALL.iter().map(move |to| (*from, *to)))
            .filter(|(from, to)| from.can_become(*to))
            .collect();
        assert_eq!(allowed.len(), 8, "{allowed:?}");
        assert!(!Refunded.can_become(Paid), "refunded is final");
        assert!(!Paid.can_become(Pending));
        assert!(Expired.can_become(Paid), "a late payment may still succeed");
    }
}
