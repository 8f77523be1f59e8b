//! Pure types shared by the server and the browser. No I/O here.

/// A status enum stored and shown as snake_case text, with `ALL` (in lifecycle order, for
/// filters), `as_str` and `parse`: one list per enum, so no caller invents a fallback.
macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|s| s.as_str() == value)
            }
        }
    };
}

mod account;
mod checkin;
mod checkout;
pub mod dashboard;
mod event;
pub mod event_form;
pub mod holder;
mod inbox;
mod link;
mod money;
mod order;
mod pricing;
pub mod question;
pub mod rich_text;
pub mod sales;
mod slug;

pub use account::{
    parse_display_name, AdminUserRow, Email, NewPassword, OutboxBacklog, Role, UserView,
};
pub use checkin::{
    CheckInAnswer, CheckInCount, DoorChanges, DoorData, DoorStaffRow, DoorTicket, DuplicateScan,
    ScanIn, ScanResult,
};
pub use checkout::{CheckoutError, EventOffer, SelectedLine, Selection, TicketOffer};
pub use event::{
    EventAction, EventDetail, EventEditorData, EventListPage, EventStatus, EventSummary,
    StatusChange, TicketTypeView,
};
pub use inbox::{PaymentEventRow, PaymentEventStatus, ReplayOutcome};
pub use link::{safe_next, urlencode};
pub use money::{Currency, Money, MoneyError};
pub use order::{
    AttendeeRow, CheckoutLine, DevEmail, HeldTicket, ManagedOrder, OrderLineView, OrderLogEntry,
    OrderSearch, OrderStatus, OrderView, OrganizerOrderRow, TicketGroup, TicketStatus, TicketView,
    MAX_TICKETS_PER_ORDER, ORGANIZER_LIST_LIMIT,
};
pub use slug::slugify;
