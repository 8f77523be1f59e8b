//! Pure types shared by the server and the browser. No I/O here.
mod account;
pub mod dashboard;
mod event;
pub mod event_form;
mod money;
mod order;
pub mod rich_text;
mod slug;

pub use account::{parse_display_name, AdminUserRow, Email, NewPassword, Role, UserView};
pub use event::{
    EventAction, EventDetail, EventEditorData, EventListPage, EventStatus, EventSummary,
    TicketTypeView,
};
pub use money::{Currency, Money, MoneyError};
pub use order::{
    AttendeeRow, CheckoutLine, DevEmail, ManagedOrder, OrderLineView, OrderLogEntry, OrderSearch,
    OrderStatus, OrderView, OrganizerOrderRow, TicketGroup, TicketStatus, TicketView,
    MAX_TICKETS_PER_ORDER, ORGANIZER_LIST_LIMIT,
};
pub use slug::slugify;

/// Percent-encodes a path or query value (keeps `/` so paths stay readable).
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
