//! Door check-in: who may scan at an event (its organizer, staff accounts, device links),
//! the event's signing keys, and each scan decided once, by its id, in one transaction.
use crate::domain::{
    CheckInAnswer, CheckInCount, DoorChanges, DoorData, DoorTicket, ScanIn, ScanResult,
};
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::{session_key, CurrentUser};
use crate::server::db::checkin::{CheckinRepo, DoorTicketRecord, NewKey, ScanWrite};
use crate::server::db::events::EventRecord;
use crate::server::db::{new_id, DbError, EventRepo};
use crate::server::format::{checked_in_text, format_when};
use crate::server::passes::{self, Scanned};
use crate::server::state::AppState;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A caller allowed to check in at one event.
#[derive(Debug)]
pub struct Door {
    pub event: EventRecord,
    /// Shown to other doors: "Door 2", the staff member's name.
    pub label: String,
    /// For the log: `user:<id>` or `door:<id>`.
    pub actor: String,
    /// The organizer (or an admin): may take a check-in back and manage doors.
    pub organizer: bool,
}

/// The door of `user` (or of the device link `device`) at the event. Anyone else is
/// refused; a link that expired or was revoked says so.
pub async fn door(
    state: &AppState,
    user: Option<&CurrentUser>,
    event_id: &str,
    device: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Door, AppError> {
    let (event, _) = EventRepo(&state.db)
        .find_by_id(event_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let repo = CheckinRepo(&state.db);
    if let Some(token) = device.filter(|t| !t.is_empty()) {
        let staff = repo
            .staff_device(&session_key(token))
            .await
            .map_err(AppError::internal)?
            .filter(|s| s.event == event.id)
            .ok_or(AppError::Forbidden)?;
        if staff.revoked_at.is_some() || staff.expires_at.is_none_or(|at| at <= now) {
            return Err(AppError::Validation(
                "This door link has expired or was withdrawn. Ask the organizer for a new one."
                    .into(),
            ));
        }
        return Ok(Door {
            event,
            label: staff.label,
            actor: format!("door:{}", staff.id),
            organizer: false,
        });
    }
    let user = user.ok_or(AppError::Unauthenticated)?;
    if may_manage(user, &event.organizer) {
        return Ok(Door {
            event,
            label: user.name.clone(),
            actor: user.actor(),
            organizer: true,
        });
    }
    let staff = repo
        .staff_account(&event.id, &user.id)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::Forbidden)?;
    Ok(Door {
        event,
        label: staff.label,
        actor: user.actor(),
        organizer: false,
    })
}

/// The event's keys as `(index, secret, public)`, oldest first; the first is made on
/// first use.
pub(super) async fn keys(
    state: &AppState,
    event_id: &str,
) -> Result<Vec<(u8, [u8; 32], [u8; 32])>, AppError> {
    let repo = CheckinRepo(&state.db);
    let mut stored = repo.keys(event_id).await.map_err(AppError::internal)?;
    if stored.is_empty() {
        add_key(state, event_id, 0, "system").await?;
        stored = repo.keys(event_id).await.map_err(AppError::internal)?;
    }
    stored
        .into_iter()
        .map(|k| {
            let bytes = |text: &str| -> Result<[u8; 32], AppError> {
                B64.decode(text)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| AppError::internal("a stored event key is malformed"))
            };
            Ok((
                u8::try_from(k.key_index).map_err(AppError::internal)?,
                bytes(&k.secret)?,
                bytes(&k.public_key)?,
            ))
        })
        .collect()
}

/// Makes the event's key number `index`. Another request making it first is no error:
/// theirs is used.
pub(super) async fn add_key(
    state: &AppState,
    event_id: &str,
    index: u8,
    actor: &str,
) -> Result<(), AppError> {
    let (secret, public) = passes::new_key_pair();
    let key = NewKey {
        secret: &B64.encode(secret),
        public_key: &B64.encode(public),
        actor,
    };
    match CheckinRepo(&state.db)
        .add_key(event_id, i64::from(index), key)
        .await
    {
        Ok(()) | Err(DbError::Duplicate(_)) => Ok(()),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// Signs an event's ticket passes with its newest key, read once for many tickets.
pub struct PassSigner {
    event_id: String,
    index: u8,
    secret: [u8; 32],
}

impl PassSigner {
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// The text a ticket's QR code carries.
    pub fn pass(&self, code: &str, issue: i64) -> Result<String, AppError> {
        passes::sign(
            code,
            u16::try_from(issue).unwrap_or(1),
            self.index,
            &self.secret,
        )
        .map_err(AppError::internal)
    }
}

pub async fn signer(state: &AppState, event_id: &str) -> Result<PassSigner, AppError> {
    let (index, secret, _) = keys(state, event_id)
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("no event key"))?;
    Ok(PassSigner {
        event_id: event_id.to_owned(),
        index,
        secret,
    })
}

/// The text a ticket's QR code carries: its pass, signed with the event's newest key.
pub async fn pass_for(
    state: &AppState,
    event_id: &str,
    code: &str,
    issue: i64,
) -> Result<String, AppError> {
    signer(state, event_id).await?.pass(code, issue)
}

/// One scan, decided once: a repeat of its id gets the first answer.
pub async fn check_in(
    state: &AppState,
    door: &Door,
    scan: &ScanIn,
    now: DateTime<Utc>,
) -> Result<CheckInAnswer, AppError> {
    // A door online may leave the id to the server; a queued offline scan brings its own.
    let made_here = new_id();
    let scan_id = match scan.scan_id.trim() {
        "" => made_here.as_str(),
        id if id.len() <= 100 => id,
        _ => {
            return Err(AppError::Validation(
                "A scan id has at most 100 characters.".into(),
            ))
        }
    };
    // A device's clock may be off: never in the future, never before the scan could be.
    let queued_at = scan
        .scanned_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| *t <= now && *t > now - Duration::days(7));
    let (code, issue, refused) = match passes::read(&scan.text) {
        Ok(Scanned::Code(code)) => (Some(code), None, None),
        Ok(Scanned::Pass(pass)) => {
            let public: Vec<(u8, [u8; 32])> = keys(state, &door.event.id)
                .await?
                .into_iter()
                .map(|(i, _, p)| (i, p))
                .collect();
            match pass.verify(&public) {
                Ok(()) => (Some(pass.code), Some(i64::from(pass.issue)), None),
                Err(e) => (None, None, Some(e.to_string())),
            }
        }
        Err(e) => (None, None, Some(e.to_string())),
    };
    let repo = CheckinRepo(&state.db);
    let recorded = repo
        .record_scan(ScanWrite {
            scan_id,
            event_id: &door.event.id,
            code: code.as_deref(),
            issue,
            door: &door.label,
            actor: &door.actor,
            scanned_at: queued_at.unwrap_or(now),
            queued: queued_at.is_some(),
            refused: refused.as_deref(),
        })
        .await;
    match recorded {
        // A repeated scan id: answer as the first time.
        Ok(()) | Err(DbError::Duplicate(_)) => {}
        Err(e) => return Err(AppError::internal(e)),
    }
    let row = repo
        .scan(&door.event.id, scan_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::Validation("That scan id was used at another event.".into()))?;
    let result = ScanResult::parse(&row.result).unwrap_or(ScanResult::Refused);
    let message = match result {
        ScanResult::Admitted => "Welcome!".to_owned(),
        ScanResult::Duplicate => match (row.checked_in_at, &row.checked_in_by) {
            (Some(at), by) => format!(
                "Already checked in at {}",
                checked_in_text(at, by.as_deref(), &door.event.time_zone)
            ),
            _ => "Already checked in".to_owned(),
        },
        ScanResult::Refused => row.reason.clone().unwrap_or_else(|| "Refused".into()),
    };
    Ok(CheckInAnswer {
        scan_id: scan_id.to_owned(),
        result,
        holder: row.holder_name,
        ticket_type: row.type_name,
        message,
    })
}

/// Queued scans from a door that was offline, in the order they were made.
pub async fn sync(
    state: &AppState,
    door: &Door,
    mut scans: Vec<ScanIn>,
    now: DateTime<Utc>,
) -> Result<Vec<CheckInAnswer>, AppError> {
    if scans.len() > 1000 {
        return Err(AppError::Validation(
            "At most 1,000 scans at a time.".into(),
        ));
    }
    scans.sort_by(|a, b| a.scanned_at.cmp(&b.scanned_at));
    let mut answers = Vec::with_capacity(scans.len());
    for scan in &scans {
        answers.push(check_in(state, door, scan, now).await?);
    }
    Ok(answers)
}

/// Everything a door keeps: public keys, the ticket list (void ones are the revocations)
/// and the counts.
pub async fn door_data(
    state: &AppState,
    door: &Door,
    now: DateTime<Utc>,
) -> Result<DoorData, AppError> {
    let public_keys = keys(state, &door.event.id)
        .await?
        .into_iter()
        .map(|(i, _, p)| (i, B64.encode(p)))
        .collect();
    let tickets = CheckinRepo(&state.db)
        .tickets(&door.event.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|t| door_ticket(t, &door.event.time_zone))
        .collect();
    Ok(DoorData {
        event_id: door.event.id.clone(),
        event_title: door.event.title.clone(),
        when: format_when(door.event.starts_at, &door.event.time_zone),
        door: door.label.clone(),
        can_undo: door.organizer,
        public_keys,
        tickets,
        revoked: CheckinRepo(&state.db)
            .revoked(&door.event.id)
            .await
            .map_err(AppError::internal)?,
        counts: counts(state, &door.event.id).await?,
        cursor: now.to_rfc3339(),
    })
}

/// How far back a door's request for changes reaches before its cursor: a scan's
/// transaction takes its time before it commits, so a change stamped just before the last
/// answer may only be visible now. Seeing a change twice is harmless.
const CHANGES_OVERLAP: Duration = Duration::seconds(10);

/// What changed since the door's `cursor` (from its last answer): scans made at other
/// doors, undos, refunds.
pub async fn changes(
    state: &AppState,
    door: &Door,
    cursor: &str,
    now: DateTime<Utc>,
) -> Result<DoorChanges, AppError> {
    let since = DateTime::parse_from_rfc3339(cursor)
        .map_err(|_| AppError::Validation("That is not a time this server gave out.".into()))?
        .with_timezone(&Utc)
        .min(now)
        - CHANGES_OVERLAP;
    let (changed, revoked) = CheckinRepo(&state.db)
        .changes(&door.event.id, since)
        .await
        .map_err(AppError::internal)?;
    Ok(DoorChanges {
        tickets: changed
            .into_iter()
            .map(|t| door_ticket(t, &door.event.time_zone))
            .collect(),
        revoked,
        counts: counts(state, &door.event.id).await?,
        cursor: now.to_rfc3339(),
    })
}

fn door_ticket(t: DoorTicketRecord, zone: &str) -> DoorTicket {
    DoorTicket {
        checked_in: t
            .checked_in_at
            .map(|at| checked_in_text(at, t.checked_in_by.as_deref(), zone)),
        code: t.code,
        issue: u16::try_from(t.issue).unwrap_or(u16::MAX),
        holder: t.holder_name,
        ticket_type: t.type_name,
        status: t.status,
    }
}

/// Checked in of sold, per ticket type.
pub async fn counts(state: &AppState, event_id: &str) -> Result<Vec<CheckInCount>, AppError> {
    Ok(CheckinRepo(&state.db)
        .counts(event_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|c| CheckInCount {
            ticket_type: c.type_name,
            checked_in: u32::try_from(c.checked_in).unwrap_or(0),
            sold: u32::try_from(c.sold).unwrap_or(0),
        })
        .collect())
}

/// The organizer takes a check-in back (a mistaken scan), naming the ticket by its
/// reference.
pub async fn undo(state: &AppState, door: &Door, reference: &str) -> Result<(), AppError> {
    if !door.organizer {
        return Err(AppError::Forbidden);
    }
    let undone = CheckinRepo(&state.db)
        .undo(&door.event.id, reference.trim(), &new_id(), &door.actor)
        .await
        .map_err(AppError::internal)?;
    if !undone {
        return Err(AppError::Validation(
            "That ticket is not checked in.".into(),
        ));
    }
    Ok(())
}
