//! The organizer's doors of an event: staff accounts, device links, and the signing keys.
use super::checkin::{add_key, keys, Door};
use crate::domain::{DoorStaffRow, DuplicateScan, Email};
use crate::error::AppError;
use crate::server::auth::session::{new_token, session_key};
use crate::server::db::checkin::{CheckinRepo, NewStaff};
use crate::server::db::{new_id, UserRepo};
use crate::server::format::{checked_in_text, format_when};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};

/// The organizer adds an account as a door of the event (it may check in there only).
pub async fn add_staff_account(
    state: &AppState,
    door: &Door,
    email: &Email,
) -> Result<(), AppError> {
    if !door.organizer {
        return Err(AppError::Forbidden);
    }
    let user = UserRepo(&state.db)
        .find_by_email(email.as_str())
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| {
            AppError::field(
                "email",
                "No TickEx account has this email; ask them to register first.",
            )
        })?;
    CheckinRepo(&state.db)
        .add_staff(NewStaff {
            id: &new_id(),
            event_id: &door.event.id,
            label: &user.name,
            user_id: Some(&user.id),
            token_hash: None,
            expires_at: None,
            created_by: &door.actor,
        })
        .await
        .map_err(AppError::internal)
}

/// The organizer makes a device link: opens the scanner of this event only, for `hours`.
/// Returns the link; only its hash is stored, so it is shown once.
pub async fn create_device_link(
    state: &AppState,
    door: &Door,
    label: &str,
    hours: i64,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    if !door.organizer {
        return Err(AppError::Forbidden);
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 40 {
        return Err(AppError::field(
            "label",
            "Name the door in 1 to 40 characters, like “Door 2”.",
        ));
    }
    if !(1..=24 * 14).contains(&hours) {
        return Err(AppError::field(
            "hours",
            "A door link lasts from 1 hour to 14 days.",
        ));
    }
    let token = new_token();
    CheckinRepo(&state.db)
        .add_staff(NewStaff {
            id: &new_id(),
            event_id: &door.event.id,
            label,
            user_id: None,
            token_hash: Some(&session_key(&token)),
            expires_at: Some(now + Duration::hours(hours)),
            created_by: &door.actor,
        })
        .await
        .map_err(AppError::internal)?;
    Ok(format!(
        "{}/checkin/{}#device={token}",
        state.settings.public_base_url, door.event.id
    ))
}

pub async fn staff(
    state: &AppState,
    door: &Door,
    now: DateTime<Utc>,
) -> Result<Vec<DoorStaffRow>, AppError> {
    if !door.organizer {
        return Err(AppError::Forbidden);
    }
    Ok(CheckinRepo(&state.db)
        .staff_of_event(&door.event.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|s| DoorStaffRow {
            active: s.revoked_at.is_none() && s.expires_at.is_none_or(|at| at > now),
            expires: s
                .expires_at
                .map(|at| format_when(at, &door.event.time_zone)),
            id: s.id,
            label: s.label,
            email: s.email,
        })
        .collect())
}

pub async fn revoke_staff(state: &AppState, door: &Door, staff_id: &str) -> Result<(), AppError> {
    if !door.organizer {
        return Err(AppError::Forbidden);
    }
    let revoked = CheckinRepo(&state.db)
        .revoke_staff(&door.event.id, staff_id, &door.actor)
        .await
        .map_err(AppError::internal)?;
    if !revoked {
        return Err(AppError::NotFound("door".into()));
    }
    Ok(())
}

/// The event's duplicate scans, newest first: the organizer sees both doors.
pub async fn duplicates(state: &AppState, door: &Door) -> Result<Vec<DuplicateScan>, AppError> {
    if !door.organizer {
        return Err(AppError::Forbidden);
    }
    let zone = &door.event.time_zone;
    Ok(CheckinRepo(&state.db)
        .duplicates(&door.event.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|d| DuplicateScan {
            scanned: checked_in_text(d.scanned_at, Some(&d.door), zone),
            admitted: d
                .checked_in_at
                .map(|at| checked_in_text(at, d.checked_in_by.as_deref(), zone))
                .unwrap_or_else(|| "not checked in now (undone)".to_owned()),
            holder: d.holder_name,
            ticket_type: d.type_name,
        })
        .collect())
}

/// The organizer rotates the event's signing key (a key that leaked, a phone lost with the
/// door's data): tickets shown from now on are signed with the new key; passes already
/// sent keep verifying under the old ones. Returns how many keys the event has.
pub async fn rotate_key(state: &AppState, door: &Door) -> Result<usize, AppError> {
    if !door.organizer {
        return Err(AppError::Forbidden);
    }
    let newest = keys(state, &door.event.id)
        .await?
        .last()
        .map_or(0, |(index, _, _)| *index);
    let next = newest
        .checked_add(1)
        .ok_or_else(|| AppError::Validation("This event has used all of its 256 keys.".into()))?;
    add_key(state, &door.event.id, next, &door.actor).await?;
    Ok(keys(state, &door.event.id).await?.len())
}
