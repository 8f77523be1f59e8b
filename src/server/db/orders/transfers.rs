//! A ticket passed to a new holder: one transaction gives it a new code and issue number
//! (the old pass and the old holder's link stop working at once), keeps the old code for
//! the doors, logs the chain on the order and queues the ticket email, with their own
//! link, to the new holder.
use super::{OrderRepo, LOG};
use crate::domain::OrderStatus;
use crate::server::db::outbox::QUEUE_TICKET_EMAIL;
use crate::server::db::DbError;
use crate::vars;
use chrono::{DateTime, Utc};

/// The ticket's code was no longer the one the transfer started from: another transfer
/// (or a refund, or a check-in) came first.
pub const TRANSFER_RACED: &str = "transfer_raced";

pub struct Transfer<'a> {
    pub order_id: &'a str,
    pub reference: &'a str,
    /// The ticket as the holder's page showed it (its issue number) and its code then; the
    /// update only happens if both still hold.
    pub seen_issue: i64,
    pub old_code: &'a str,
    pub new_code: &'a str,
    pub from_name: &'a str,
    pub to_name: &'a str,
    pub to_email: &'a str,
    /// The new holder's own link key (sent in their email) and its SHA-256.
    pub holder_key: &'a str,
    pub holder_hash: String,
    pub actor: &'a str,
}

impl OrderRepo<'_> {
    /// `Rejected(TRANSFER_RACED)` when the ticket changed since it was read.
    pub async fn transfer_ticket(
        &self,
        t: Transfer<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $order_id);
             LET $found = (SELECT VALUE id FROM ticket
                WHERE purchase = $purchase AND reference = $reference);
             IF array::len($found) = 0 {{ THROW 'transfer_raced' }};
             LET $moved = (UPDATE $found[0] SET code = $new_code, issue += 1,
                    holder_name = $to_name, holder_email = $to_email,
                    access_keys = [$holder_hash]
                WHERE code = $old_code AND issue = $seen_issue AND status = 'valid'
                RETURN AFTER);
             IF array::len($moved) = 0 {{ THROW 'transfer_raced' }};
             CREATE ticket_transfer SET ticket = $moved[0].id, event = $moved[0].event,
                purchase = $purchase, old_code = $old_code, from_name = $from_name,
                to_name = $to_name, to_email = $to_email, actor = $actor, at = $now;
             LET $issued = [$moved[0].id];
             LET $ticket = $moved[0];
             LET $ticket_email_key = string::concat('transfer/', $reference, '/',
                <string> $moved[0].issue);
             {QUEUE_TICKET_EMAIL}
             {LOG}
             COMMIT TRANSACTION;"
        );
        self.0
            .execute(
                &sql,
                vars![
                    ("order_id", t.order_id.to_owned()),
                    ("reference", t.reference.to_owned()),
                    ("old_code", t.old_code.to_owned()),
                    ("seen_issue", t.seen_issue),
                    ("new_code", t.new_code.to_owned()),
                    ("from_name", t.from_name.to_owned()),
                    ("to_name", t.to_name.to_owned()),
                    ("to_email", t.to_email.to_owned()),
                    ("holder_key", t.holder_key.to_owned()),
                    ("holder_hash", t.holder_hash),
                    ("actor", t.actor.to_owned()),
                    ("now", now),
                    ("from", OrderStatus::Paid),
                    ("to", OrderStatus::Paid),
                    (
                        "note",
                        Some(format!(
                            "ticket {} transferred from {} to {} <{}>",
                            t.reference, t.from_name, t.to_name, t.to_email
                        ))
                    )
                ],
            )
            .await?;
        Ok(())
    }
}
