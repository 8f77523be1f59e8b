//! What the organizer dashboard shows; computed on the server from counters.
use super::{Money, OrderStatus};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizerStats {
    /// Paid minus refunded, one amount per currency.
    pub revenue: Vec<Money>,
    pub tickets_sold: u64,
    pub paid_orders: u64,
    pub events_published: u32,
    pub events_upcoming: u32,
    /// Every event counted; the list below shows the first `events.len()` of them.
    pub events_total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentBooking {
    pub order_id: String,
    pub reference: String,
    pub buyer: String,
    pub event_title: String,
    pub tickets: u32,
    pub amount: Money,
    pub status: OrderStatus,
    pub when: String,
}

/// Tickets sold on one UTC day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalesDay {
    pub day: String,
    pub tickets: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryRow {
    pub name: String,
    pub sold: u32,
    pub held: u32,
    pub available: u32,
    /// Of the sold, how many came through a door.
    pub checked_in: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSales {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub when: String,
    pub status: super::EventStatus,
    pub revenue: Money,
    pub ticket_types: Vec<InventoryRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardData {
    /// Whose dashboard this is: "Your events", or the platform / an organizer for admins.
    pub scope: String,
    pub stats: OrganizerStats,
    pub recent: Vec<RecentBooking>,
    /// The last 30 days, oldest first, every day present.
    pub sales: Vec<SalesDay>,
    pub events: Vec<EventSales>,
}

/// Escapes one CSV field: quoted when it holds a separator, quote or line break, and
/// prefixed with `'` when a spreadsheet would run it as a formula.
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One CSV line (CRLF-terminated, as RFC 4180 says).
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-2+3"), "'-2+3");
        assert_eq!(csv_line(&["a", "b\nc"]), "a,\"b\nc\"\r\n");
    }
}
