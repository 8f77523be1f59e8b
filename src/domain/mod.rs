//! Pure types shared by the server and the browser. No I/O here.
mod account;
mod event;
mod money;
mod slug;

pub use account::{parse_display_name, AdminUserRow, Email, NewPassword, Role, UserView};
pub use event::{EventDetail, EventStatus, EventSummary, OrganizerEventRow, TicketTypeView};
pub use money::{Currency, Money, MoneyError};
pub use slug::slugify;
