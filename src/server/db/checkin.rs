//! Door check-in: the events' signing keys, door staff (accounts and device links), and the
//! scan itself: one transaction with the ticket's status and its append-only log row.
use super::{Db, DbError};
use crate::domain::TicketStatus;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct EventKeyRecord {
    pub key_index: i64,
    pub secret: String,
    pub public_key: String,
}

/// One door: an account or a device link of an event.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DoorStaffRecord {
    pub id: String,
    pub event: String,
    pub label: String,
    pub email: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const STAFF_FIELDS: &str = "record::id(id) AS id, record::id(event) AS event, label,
    user.email AS email, expires_at, revoked_at, created_at";

/// A signing key to add: base64url secret and public key, and who made it.
pub struct NewKey<'a> {
    pub secret: &'a str,
    pub public_key: &'a str,
    pub actor: &'a str,
}

/// A door to add: an account (`user_id`) or a device link (`token_hash`, `expires_at`).
pub struct NewStaff<'a> {
    pub id: &'a str,
    pub event_id: &'a str,
    pub label: &'a str,
    pub user_id: Option<&'a str>,
    pub token_hash: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: &'a str,
}

/// A scan to record.
pub struct ScanWrite<'a> {
    pub scan_id: &'a str,
    pub event_id: &'a str,
    /// The ticket's code, when the scan named one.
    pub code: Option<&'a str>,
    /// The pass's issue number: an older one than the ticket's was replaced (revoked).
    pub issue: Option<i64>,
    pub door: &'a str,
    pub actor: &'a str,
    pub scanned_at: DateTime<Utc>,
    /// Made offline and synced later: only such a scan may supersede an earlier admission
    /// (an online scan's time is when the server saw it, and two doors racing online must
    /// never both admit).
    pub queued: bool,
    /// Why the scan was refused before the ticket was looked up (a forged pass).
    pub refused: Option<&'a str>,
}

/// A scan as recorded, with the ticket as it is now.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ScanRecord {
    pub result: String,
    pub reason: Option<String>,
    pub holder_name: Option<String>,
    pub type_name: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_in_by: Option<String>,
}

/// A ticket as a door's list holds it.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DoorTicketRecord {
    pub code: String,
    pub issue: i64,
    pub holder_name: String,
    pub type_name: String,
    pub status: TicketStatus,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_in_by: Option<String>,
}

/// A duplicate scan with the ticket's admission.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DuplicateRecord {
    pub holder_name: String,
    pub type_name: String,
    pub door: String,
    pub scanned_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_in_by: Option<String>,
}

/// Checked in and sold (not void) of one ticket type.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CheckedInCount {
    pub type_name: String,
    pub checked_in: i64,
    pub sold: i64,
}

pub struct CheckinRepo<'a>(pub &'a Db);

/// The revocation list of `$event`: void tickets' codes and transferred tickets' old codes.
const REVOKED: &str = "RETURN array::concat(
    (SELECT VALUE code FROM ticket WHERE event = $event AND status = 'void'),
    (SELECT VALUE old_code FROM ticket_transfer WHERE event = $event))";

impl CheckinRepo<'_> {
    /// The event's keys, oldest first.
    pub async fn keys(&self, event_id: &str) -> Result<Vec<EventKeyRecord>, DbError> {
        self.0
            .rows(
                "SELECT key_index, secret, public_key FROM event_key
                 WHERE event = type::record('event', $event) ORDER BY key_index ASC",
                vars![("event", event_id.to_owned())],
            )
            .await
    }

    /// Adds the event's key number `index`, logged; `DbError::Duplicate` when another
    /// request added it first.
    pub async fn add_key(
        &self,
        event_id: &str,
        index: i64,
        key: NewKey<'_>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 CREATE event_key SET event = $event, key_index = $index, secret = $secret,
                    public_key = $public, created_at = time::now();
                 CREATE door_log SET event = $event, action = 'key_made',
                    detail = 'key ' + <string> $index, actor = $actor, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("index", index),
                    ("secret", key.secret.to_owned()),
                    ("public", key.public_key.to_owned()),
                    ("actor", key.actor.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// Adds an account (`user_id`) or a device link (`token_hash`, `expires_at`) as a door,
    /// logged.
    pub async fn add_staff(&self, staff: NewStaff<'_>) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 CREATE type::record('door_staff', $id) SET event = $event, label = $label,
                    user = IF $user { type::record('user', $user) } ELSE { NONE },
                    token_hash = $token_hash, expires_at = $expires_at, created_by = $by,
                    created_at = time::now();
                 CREATE door_log SET event = $event,
                    action = IF $user { 'staff_added' } ELSE { 'link_made' },
                    detail = $label, actor = $by, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("id", staff.id.to_owned()),
                    ("event_id", staff.event_id.to_owned()),
                    ("label", staff.label.to_owned()),
                    ("user", staff.user_id.map(str::to_owned)),
                    ("token_hash", staff.token_hash.map(str::to_owned)),
                    ("expires_at", staff.expires_at),
                    ("by", staff.created_by.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn staff_of_event(&self, event_id: &str) -> Result<Vec<DoorStaffRecord>, DbError> {
        let sql = format!(
            "SELECT {STAFF_FIELDS} FROM door_staff WHERE event = type::record('event', $event)
             ORDER BY created_at ASC"
        );
        self.0
            .rows(&sql, vars![("event", event_id.to_owned())])
            .await
    }

    /// The account's door at the event, if it has one that is not revoked.
    pub async fn staff_account(
        &self,
        event_id: &str,
        user_id: &str,
    ) -> Result<Option<DoorStaffRecord>, DbError> {
        let sql = format!(
            "SELECT {STAFF_FIELDS} FROM door_staff WHERE user = type::record('user', $user)
                AND event = type::record('event', $event) AND revoked_at = NONE LIMIT 1"
        );
        self.0
            .first(
                &sql,
                vars![("event", event_id.to_owned()), ("user", user_id.to_owned())],
            )
            .await
    }

    /// The device link with this token hash, whatever its state (the caller checks it).
    pub async fn staff_device(&self, token_hash: &str) -> Result<Option<DoorStaffRecord>, DbError> {
        let sql = format!("SELECT {STAFF_FIELDS} FROM door_staff WHERE token_hash = $hash LIMIT 1");
        self.0
            .first(&sql, vars![("hash", token_hash.to_owned())])
            .await
    }

    /// Revokes a door of the event, logged; false when it has no such door.
    pub async fn revoke_staff(
        &self,
        event_id: &str,
        staff_id: &str,
        actor: &str,
    ) -> Result<bool, DbError> {
        let outcome = self
            .0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 LET $revoked = (UPDATE type::record('door_staff', $id) SET revoked_at = time::now()
                    WHERE event = $event RETURN VALUE label);
                 IF array::len($revoked) = 0 { THROW 'no_such_door' };
                 CREATE door_log SET event = $event, action = 'staff_revoked',
                    detail = $revoked[0], actor = $actor, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("id", staff_id.to_owned()),
                    ("event_id", event_id.to_owned()),
                    ("actor", actor.to_owned())
                ],
            )
            .await;
        super::committed_unless(outcome, "no_such_door")
    }

    /// Records a scan and decides it, in one transaction with the ticket: a valid ticket is
    /// admitted; one admitted already is a duplicate, unless this scan was made earlier
    /// (an offline door syncing late): it then admits, and the scan it supersedes is the
    /// one log row ever changed, to a duplicate, so the earliest scan wins whatever order
    /// doors sync in. A void or unknown ticket is refused. `DbError::Duplicate` when the
    /// scan id was recorded before.
    pub async fn record_scan(&self, scan: ScanWrite<'_>) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 LET $found = IF $code {
                    (SELECT id, status, issue, checked_in_at FROM ticket
                        WHERE code = $code AND event = $event LIMIT 1)
                 } ELSE { [] };
                 LET $t = $found[0];
                 LET $transferred = IF $code AND $t = NONE {
                    (SELECT VALUE id FROM ticket_transfer WHERE old_code = $code AND event = $event)
                 } ELSE { [] };
                 LET $decision = IF $refused { 'refused' }
                    ELSE IF $t = NONE { 'refused' }
                    ELSE IF $t.status = 'void' { 'refused' }
                    ELSE IF $issue AND $issue < $t.issue { 'refused' }
                    ELSE IF $t.status = 'valid' { 'admitted' }
                    ELSE IF $queued AND $scanned_at < $t.checked_in_at { 'earlier' }
                    ELSE { 'duplicate' };
                 LET $reason = IF $refused { $refused }
                    ELSE IF array::len($transferred) > 0 { 'transferred to another holder' }
                    ELSE IF $t = NONE { 'not a ticket for this event' }
                    ELSE IF $t.status = 'void' { 'refunded or cancelled' }
                    ELSE IF $issue AND $issue < $t.issue { 'replaced by a newer ticket' }
                    ELSE { NONE };
                 IF $decision IN ['admitted', 'earlier'] {
                    LET $won = (UPDATE $t.id SET status = 'checked_in', checked_in_at = $scanned_at,
                            checked_in_by = $door, checkin_scan = $scan_id
                        WHERE status = $t.status RETURN BEFORE);
                    IF array::len($won) = 0 { THROW 'checkin_raced' };
                    IF $decision = 'earlier' {
                        UPDATE checkin SET result = 'duplicate',
                            reason = 'an earlier scan admitted this ticket'
                        WHERE scan_id = $won[0].checkin_scan;
                    };
                 };
                 CREATE checkin SET scan_id = $scan_id, event = $event, ticket = $t.id,
                    door = $door, actor = $actor, scanned_at = $scanned_at,
                    received_at = time::now(),
                    result = IF $decision = 'earlier' { 'admitted' } ELSE { $decision },
                    reason = $reason;
                 COMMIT TRANSACTION;",
                vars![
                    ("scan_id", scan.scan_id.to_owned()),
                    ("event_id", scan.event_id.to_owned()),
                    ("code", scan.code.map(str::to_owned)),
                    ("issue", scan.issue),
                    ("door", scan.door.to_owned()),
                    ("actor", scan.actor.to_owned()),
                    ("scanned_at", scan.scanned_at),
                    ("queued", scan.queued),
                    ("refused", scan.refused.map(str::to_owned))
                ],
            )
            .await?;
        Ok(())
    }

    /// A recorded scan of the event, with its ticket as it is now.
    pub async fn scan(&self, event_id: &str, scan_id: &str) -> Result<Option<ScanRecord>, DbError> {
        self.0
            .first(
                "SELECT result, reason, ticket.holder_name AS holder_name,
                    ticket.ticket_type.name AS type_name, ticket.checked_in_at AS checked_in_at,
                    ticket.checked_in_by AS checked_in_by
                 FROM checkin WHERE scan_id = $scan AND event = type::record('event', $event)",
                vars![("scan", scan_id.to_owned()), ("event", event_id.to_owned())],
            )
            .await
    }

    /// The organizer takes a check-in back (the ticket by its reference): the ticket is
    /// valid again (logged). False when the ticket was not checked in.
    pub async fn undo(
        &self,
        event_id: &str,
        reference: &str,
        scan_id: &str,
        actor: &str,
    ) -> Result<bool, DbError> {
        let outcome = self
            .0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 LET $undone = (UPDATE ticket SET status = 'valid', checked_in_at = NONE,
                        checked_in_by = NONE, checkin_scan = NONE
                    WHERE reference = $reference AND event = $event AND status = 'checked_in'
                    RETURN VALUE id);
                 IF array::len($undone) = 0 { THROW 'not_checked_in' };
                 CREATE checkin SET scan_id = $scan_id, event = $event, ticket = $undone[0],
                    door = $actor, actor = $actor, scanned_at = time::now(),
                    received_at = time::now(), result = 'undone', reason = NONE;
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("reference", reference.to_owned()),
                    ("scan_id", scan_id.to_owned()),
                    ("actor", actor.to_owned())
                ],
            )
            .await;
        super::committed_unless(outcome, "not_checked_in")
    }

    /// Every sold ticket of the event, for a door's list (also how doors learn of refunds).
    pub async fn tickets(&self, event_id: &str) -> Result<Vec<DoorTicketRecord>, DbError> {
        self.0
            .rows(
                "SELECT code, issue, holder_name, ticket_type.name AS type_name, status,
                    checked_in_at, checked_in_by
                 FROM ticket WHERE event = type::record('event', $event)",
                vars![("event", event_id.to_owned())],
            )
            .await
    }

    /// The event's revocation list: codes of void tickets and the old codes of transferred
    /// ones.
    pub async fn revoked(&self, event_id: &str) -> Result<Vec<String>, DbError> {
        let mut response = self
            .0
            .execute(
                &format!("LET $event = type::record('event', $event_id); {REVOKED};"),
                vars![("event_id", event_id.to_owned())],
            )
            .await?;
        response.take(1).map_err(DbError::from_surreal)
    }

    /// The tickets a scan or an undo touched since `since`, as they are now (how a door
    /// learns of other doors' scans), and the codes of the event's void tickets (the
    /// revocation list: refunds write no scan).
    pub async fn changes(
        &self,
        event_id: &str,
        since: DateTime<Utc>,
    ) -> Result<(Vec<DoorTicketRecord>, Vec<String>), DbError> {
        let mut response = self
            .0
            .execute(
                &format!(
                    "LET $event = type::record('event', $event_id);
                 SELECT code, issue, holder_name, ticket_type.name AS type_name, status,
                    checked_in_at, checked_in_by
                 FROM array::distinct((SELECT VALUE ticket FROM checkin
                    WHERE event = $event AND received_at > $since AND ticket != NONE));
                 {REVOKED};"
                ),
                vars![("event_id", event_id.to_owned()), ("since", since)],
            )
            .await?;
        let changed = response.take(1).map_err(DbError::from_surreal)?;
        let revoked = response.take(2).map_err(DbError::from_surreal)?;
        Ok((changed, revoked))
    }

    /// The event's newest duplicate scans (at most 100), with who admitted the ticket.
    pub async fn duplicates(&self, event_id: &str) -> Result<Vec<DuplicateRecord>, DbError> {
        self.0
            .rows(
                "SELECT ticket.holder_name AS holder_name, ticket.ticket_type.name AS type_name,
                    door, scanned_at, ticket.checked_in_at AS checked_in_at,
                    ticket.checked_in_by AS checked_in_by, received_at
                 FROM checkin WHERE event = type::record('event', $event) AND result = 'duplicate'
                 ORDER BY received_at DESC LIMIT 100",
                vars![("event", event_id.to_owned())],
            )
            .await
    }

    /// Checked in and sold per ticket type of the event.
    pub async fn counts(&self, event_id: &str) -> Result<Vec<CheckedInCount>, DbError> {
        self.0
            .rows(
                "SELECT ticket_type.name AS type_name, count(status = 'checked_in') AS checked_in,
                    count() AS sold
                 FROM ticket WHERE event = type::record('event', $event) AND status != 'void'
                 GROUP BY type_name ORDER BY type_name",
                vars![("event", event_id.to_owned())],
            )
            .await
    }
}
