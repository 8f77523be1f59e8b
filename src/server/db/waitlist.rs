//! Table `waitlist_entry`: people waiting for a sold-out ticket type, and the offers made
//! to them. Every change is one transaction with its `event_log` row; an offer moves its
//! seat to `held` through the same guarded `MOVE_SEATS` as an order.
use super::ledger::MOVE_SEATS;
use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct EntryRecord {
    pub id: String,
    pub event: String,
    pub ticket_type: String,
    pub type_name: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub joined_at: DateTime<Utc>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub offer_key: Option<String>,
}

/// The person is already in this line (waiting, or holding an offer).
pub const ALREADY_WAITING: &str = "already_waiting";
/// Nobody waits for the type, or it has no seat to offer.
const NOTHING_TO_OFFER: &str = "nothing_to_offer";

const FIELDS: &str = "record::id(id) AS id, record::id(event) AS event,
    record::id(ticket_type) AS ticket_type, ticket_type.name AS type_name, name, email, status,
    joined_at, offer_expires_at, offer_key";

/// Gives an offered entry's seat back: `$entry` is the entry, `$to` its new status.
const WITHDRAW_OFFER: &str = "
    LET $withdrawn = (UPDATE $entry SET status = $to WHERE status = 'offered' RETURN AFTER);
    IF array::len($withdrawn) > 0 {
        LET $seat_type = $withdrawn[0].ticket_type;
        LET $quantity = 1;
        LET $seats_from = 'held';
        LET $seats_to = 'available';
        LET $short = 'inventory_mismatch:';
        {MOVE_SEATS}
    };";

fn withdraw_offer() -> String {
    WITHDRAW_OFFER.replace("{MOVE_SEATS}", MOVE_SEATS)
}

pub struct WaitlistRepo<'a>(pub &'a Db);

impl WaitlistRepo<'_> {
    /// Puts `name` <`email`> in line for a ticket type of the event.
    pub async fn join(
        &self,
        event_id: &str,
        ticket_type_id: &str,
        name: &str,
        email: &str,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $type = type::record('ticket_type', $type_id);
                 LET $event = type::record('event', $event_id);
                 IF $type.event != $event { THROW 'nothing_to_offer' };
                 LET $mine = (SELECT VALUE id FROM waitlist_entry WHERE ticket_type = $type
                    AND email = $email AND status IN ['waiting', 'offered']);
                 IF array::len($mine) > 0 { THROW 'already_waiting' };
                 LET $entry = (CREATE waitlist_entry SET event = $event, ticket_type = $type,
                    name = $name, email = $email, status = 'waiting', joined_at = time::now()
                    RETURN VALUE id);
                 CREATE event_log SET event = $event, action = 'waitlist_joined',
                    detail = record::id($entry[0]), actor = string::concat('guest:', $email),
                    at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("type_id", ticket_type_id.to_owned()),
                    ("name", name.to_owned()),
                    ("email", email.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// Ticket types with people waiting, whose seats may have come back.
    pub async fn types_waiting(&self) -> Result<Vec<String>, DbError> {
        self.0
            .rows(
                "SELECT VALUE record::id(ticket_type) FROM (SELECT ticket_type FROM waitlist_entry
                    WHERE status = 'waiting' GROUP BY ticket_type)",
                vars![],
            )
            .await
    }

    /// Offers a seat of the type to the first in line: the seat moves to `held` until
    /// `until`, the email with the link (`key`; its SHA-256 `hash` is stored) is queued.
    /// False when nobody waits or no seat is free.
    pub async fn offer_next(
        &self,
        ticket_type_id: &str,
        until: DateTime<Utc>,
        (key, hash): (&str, &str),
    ) -> Result<bool, DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $seat_type = type::record('ticket_type', $type_id);
             IF $seat_type.event.status != 'published' OR $seat_type.event.ends_at <= time::now() {{
                THROW 'nothing_to_offer'
             }};
             LET $next = (SELECT VALUE id FROM waitlist_entry
                WHERE ticket_type = $seat_type AND status = 'waiting'
                ORDER BY joined_at ASC, id ASC LIMIT 1);
             IF array::len($next) = 0 {{ THROW 'nothing_to_offer' }};
             LET $quantity = 1;
             LET $seats_from = 'available';
             LET $seats_to = 'held';
             LET $short = 'nothing_to_offer:';
             {MOVE_SEATS}
             LET $offered = (UPDATE $next[0] SET status = 'offered', offered_at = time::now(),
                    offer_expires_at = $until, offer_key = $hash
                WHERE status = 'waiting' RETURN AFTER);
             IF array::len($offered) = 0 {{ THROW 'nothing_to_offer' }};
             CREATE outbox SET kind = 'waitlist_offer', waitlist_entry = $offered[0].id,
                key = string::concat('waitlist_offer/', record::id($offered[0].id)),
                recipient = $offered[0].email, link_key = $key, status = 'pending',
                attempts = 0, next_attempt_at = time::now(), created_at = time::now();
             CREATE event_log SET event = $offered[0].event, action = 'waitlist_offered',
                detail = record::id($offered[0].id), actor = 'system', at = time::now();
             COMMIT TRANSACTION;"
        );
        let outcome = self
            .0
            .execute(
                &sql,
                vars![
                    ("type_id", ticket_type_id.to_owned()),
                    ("until", until),
                    ("key", key.to_owned()),
                    ("hash", hash.to_owned())
                ],
            )
            .await;
        match outcome {
            Ok(_) => Ok(true),
            Err(DbError::Rejected(code)) if code.starts_with(NOTHING_TO_OFFER) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Offers not taken by `now`: each gives its seat back and ends `expired`.
    pub async fn expire_offers(&self, now: DateTime<Utc>) -> Result<usize, DbError> {
        let lapsed: Vec<String> = self
            .0
            .rows(
                "SELECT VALUE record::id(id) FROM waitlist_entry
                 WHERE status = 'offered' AND offer_expires_at <= $now",
                vars![("now", now)],
            )
            .await?;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $entry = type::record('waitlist_entry', $id);
             LET $to = 'expired';
             {withdraw}
             IF array::len($withdrawn) > 0 {{
                CREATE event_log SET event = $withdrawn[0].event, action = 'waitlist_offer_expired',
                    detail = $id, actor = 'system', at = time::now();
             }};
             COMMIT TRANSACTION;",
            withdraw = withdraw_offer()
        );
        for id in &lapsed {
            self.0.execute(&sql, vars![("id", id.clone())]).await?;
        }
        Ok(lapsed.len())
    }

    /// The event's line, in order, every status.
    pub async fn of_event(&self, event_id: &str) -> Result<Vec<EntryRecord>, DbError> {
        self.0
            .rows(
                &format!(
                    "SELECT {FIELDS} FROM waitlist_entry
                     WHERE event = type::record('event', $event) ORDER BY joined_at ASC, id ASC"
                ),
                vars![("event", event_id.to_owned())],
            )
            .await
    }

    pub async fn find(&self, entry_id: &str) -> Result<Option<EntryRecord>, DbError> {
        self.0
            .first(
                &format!("SELECT {FIELDS} FROM type::record('waitlist_entry', $id)"),
                vars![("id", entry_id.to_owned())],
            )
            .await
    }

    /// The organizer takes someone off the list (an offer they hold gives its seat back).
    pub async fn remove(
        &self,
        event_id: &str,
        entry_id: &str,
        actor: &str,
    ) -> Result<bool, DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $entry = type::record('waitlist_entry', $id);
             IF $entry.event != type::record('event', $event_id)
                OR $entry.status NOTINSIDE ['waiting', 'offered'] {{ THROW 'no_entry' }};
             LET $to = 'removed';
             {withdraw}
             UPDATE $entry SET status = 'removed' WHERE status = 'waiting';
             CREATE event_log SET event = $entry.event, action = 'waitlist_removed',
                detail = $id, actor = $actor, at = time::now();
             COMMIT TRANSACTION;",
            withdraw = withdraw_offer()
        );
        let outcome = self
            .0
            .execute(
                &sql,
                vars![
                    ("event_id", event_id.to_owned()),
                    ("id", entry_id.to_owned()),
                    ("actor", actor.to_owned())
                ],
            )
            .await;
        super::committed_unless(outcome, "no_entry")
    }

    /// Opens or closes the event's waiting lists (those in line stay).
    pub async fn set_enabled(
        &self,
        event_id: &str,
        enabled: bool,
        actor: &str,
    ) -> Result<(), DbError> {
        let flag = super::flags::Flag {
            table: "event",
            id: event_id,
            event_id,
            field: "waitlist_enabled",
            on: enabled,
            actions: ("waitlist_opened", "waitlist_closed"),
            detail: None,
            actor,
        };
        super::flags::switch(self.0, flag).await.map(|_| ())
    }
}
