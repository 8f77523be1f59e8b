//! An order's ticket email sent again: by its buyer or organizer (`resend`), or to an
//! address the organizer corrected after a bounce (`corrected`).
use super::{OrderRepo, GIVE_LINK_KEY, LOG};
use crate::domain::OrderStatus;
use crate::server::db::outbox::QUEUE_ORDER_EMAIL;
use crate::server::db::DbError;
use crate::vars;
use chrono::{DateTime, Duration, Utc};

/// A ticket email of the same kind was queued for the order less than ten minutes ago.
pub const TOO_SOON: &str = "too_soon";

/// Why a ticket email goes out again.
#[derive(Debug, Clone, Copy)]
pub enum SendAgain {
    Resend,
    Corrected,
}

impl SendAgain {
    fn as_str(self) -> &'static str {
        match self {
            SendAgain::Resend => "resend",
            SendAgain::Corrected => "corrected",
        }
    }
}

impl OrderRepo<'_> {
    /// Queues the ticket email to `to` with its log row, in one transaction, while the order
    /// is paid (else `wrong_status`). At most one of each kind in any ten minutes: a second
    /// is refused with `too_soon` (a sliding window over what was queued), and two racing
    /// requests share one key per ten-minute slot, so the second is `DbError::Duplicate`.
    pub async fn send_tickets_again(
        &self,
        id: &str,
        to: &str,
        link: (&str, &str),
        why: SendAgain,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             IF (SELECT VALUE status FROM ONLY $purchase) != 'paid' {{ THROW 'wrong_status' }};
             LET $recent = (SELECT VALUE id FROM outbox WHERE purchase = $purchase
                AND string::starts_with(key, $again) AND created_at > $since);
             IF array::len($recent) > 0 {{ THROW 'too_soon' }};
             LET $kind = 'tickets';
             {QUEUE_ORDER_EMAIL}
             {GIVE_LINK_KEY}
             {LOG}
             COMMIT TRANSACTION;"
        );
        let again = format!("order-confirmation/{id}/{}/", why.as_str());
        let note = match why {
            SendAgain::Resend => format!("ticket email sent again to {to}"),
            SendAgain::Corrected => format!("ticket email sent to {to}"),
        };
        self.0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("key", format!("{again}{}", now.timestamp() / 600)),
                    ("again", again),
                    ("since", now - Duration::minutes(10)),
                    ("recipient", to.to_owned()),
                    ("link_key", link.0.to_owned()),
                    ("link_hash", link.1.to_owned()),
                    ("from", OrderStatus::Paid),
                    ("to", OrderStatus::Paid),
                    ("actor", actor.to_owned()),
                    ("note", Some(note))
                ],
            )
            .await?;
        Ok(())
    }
}
