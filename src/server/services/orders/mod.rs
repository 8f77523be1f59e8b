//! The purchase path (docs/ARCHITECTURE.md), one file per stage: `checkout` holds the seats
//! and starts the payment, `payment` turns payment reports into fulfilment (or a refund
//! when the seats are gone), `stripe_events` takes Stripe's events through the payments
//! inbox, `refunds` cancels and refunds (and retries owed refunds), `tickets_again` resends
//! ticket emails, `sweeper` expires lapsed holds
//! and `views` reads what buyers and organizers see. Every transition is guarded by the
//! order's current status in the database, so each is safe to run concurrently and more
//! than once: exactly one caller wins it.
mod checkout;
mod corrections;
mod payment;
mod refunds;
mod stripe_events;
mod sweeper;
mod tickets_again;
mod transfers;
mod views;

pub use checkout::{checkout, BuyerInput, Purchaser};
pub use corrections::{correct_order_answers, correct_ticket};
pub use payment::{
    confirm_payment, pay_demo_order, payment_succeeded, PaymentOutcome, SessionReport,
};
pub use refunds::{
    cancel_payment, cancel_pending_order, refund_order, release, retry_refunds,
    settle_cancelled_event, EventOrdersSettled, Release,
};
pub use stripe_events::{
    receive_stripe_event, replay_stripe_event, unsettled_stripe_events, Delivery, StripeEvent,
};
pub use sweeper::{reconcile, sweep, Settled};
pub use tickets_again::{resend_tickets, send_tickets_to};
pub use transfers::{held_ticket, transfer_ticket, TransferRequest};
pub use views::{event_attendees, event_orders, managed_order, my_tickets, order_view};

use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::{session_key, CurrentUser};
use crate::server::db::orders::{OrderRecord, OrderRepo, TicketRecord};
use crate::server::db::{Db, DbError};
use crate::server::payments::PaymentError;

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error("order {0} not found")]
    NotFound(String),
}

impl OrderError {
    /// The user-facing error: a provider failure says payments are unavailable (with a
    /// reference for the log), anything else is internal.
    fn into_app_error(self) -> AppError {
        match self {
            OrderError::NotFound(_) => AppError::NotFound("order".into()),
            OrderError::Payment(p) => match AppError::internal(p) {
                AppError::Internal(reference) => AppError::PaymentUnavailable(reference),
                other => other,
            },
            other => AppError::internal(other),
        }
    }
}

async fn load(db: &Db, order_id: &str) -> Result<OrderRecord, OrderError> {
    OrderRepo(db)
        .find(order_id)
        .await?
        .ok_or_else(|| OrderError::NotFound(order_id.to_owned()))
}

/// The order when `may_see` allows it; an order the caller may not see does not exist
/// for them (404, not 403, so ids cannot be probed).
async fn order_if(
    db: &Db,
    order_id: &str,
    may_see: impl Fn(&OrderRecord) -> bool,
) -> Result<OrderRecord, AppError> {
    OrderRepo(db)
        .find(order_id)
        .await
        .map_err(AppError::internal)?
        .filter(|o| may_see(o))
        .ok_or_else(|| AppError::NotFound("order".into()))
}

/// Who asks for an order as its buyer: the signed-in account that bought it, or anyone
/// with a key of its link (a guest's browser, the ticket email), or both. A named
/// attendee's key opens their one ticket only.
pub struct OrderAccess {
    pub user: Option<CurrentUser>,
    pub key: Option<String>,
}

impl OrderAccess {
    fn opens(&self, order: &OrderRecord) -> bool {
        let by_account = self
            .user
            .as_ref()
            .is_some_and(|user| order.buyer.as_deref() == Some(user.id.as_str()));
        let by_key = self
            .key
            .as_ref()
            .is_some_and(|key| order.access_keys.contains(&session_key(key)));
        by_account || by_key
    }

    /// A named attendee's link opens their own ticket (and nothing else of the order).
    fn holds(&self, ticket: &TicketRecord) -> bool {
        self.key
            .as_ref()
            .is_some_and(|key| ticket.access_keys.contains(&session_key(key)))
    }

    /// The actor recorded in the order log.
    fn actor(&self) -> String {
        match &self.user {
            Some(user) => user.actor(),
            None => "buyer:link".to_owned(),
        }
    }
}

/// The order as its buyer may see it.
async fn buyers_order(
    db: &Db,
    access: &OrderAccess,
    order_id: &str,
) -> Result<OrderRecord, AppError> {
    if access.user.is_none() && access.key.is_none() {
        return Err(AppError::Unauthenticated);
    }
    order_if(db, order_id, |o| access.opens(o)).await
}

/// The order as the organizer of its event (or an admin) may manage it.
async fn managed(db: &Db, user: &CurrentUser, order_id: &str) -> Result<OrderRecord, AppError> {
    order_if(db, order_id, |o| may_manage(user, &o.event_organizer)).await
}

/// Crockford's base32: no I, L, O or U, so references read aloud without confusion.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random_base32(len: usize) -> String {
    (0..len)
        .map(|_| ALPHABET[usize::from(rand::random::<u8>() & 31)] as char)
        .collect()
}

/// A ticket's secret: 32 base32 characters, 160 random bits.
fn ticket_code() -> String {
    random_base32(32)
}

/// A short reference people can read out: `T-XXXX-XXXX` (40 random bits).
fn short_reference(prefix: &str) -> String {
    let raw = random_base32(8);
    format!("{prefix}-{}-{}", &raw[..4], &raw[4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_and_references_readable() {
        let code = ticket_code();
        assert_eq!(code.len(), 32, "160 bits");
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        let reference = short_reference("T");
        assert!(
            reference.starts_with("T-") && reference.len() == 11,
            "{reference}"
        );
        assert_ne!(ticket_code(), ticket_code());
    }
}
