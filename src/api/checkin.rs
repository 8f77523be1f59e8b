//! Door check-in: the scanner's data and scans (the event's organizer, its door staff, or a
//! device link's token in `device`), and the organizer's management of doors.
use crate::domain::{
    CheckInAnswer, CheckInCount, DoorChanges, DoorData, DoorStaffRow, DuplicateScan, ScanIn,
};
use crate::error::AppError;
use leptos::prelude::*;

/// Runs `body` for the caller's door at the event, or refuses.
#[cfg(feature = "ssr")]
async fn at_door<T, F, Fut>(
    event_id: String,
    device: Option<String>,
    body: F,
) -> Result<T, AppError>
where
    F: FnOnce(crate::server::state::AppState, crate::server::services::checkin::Door) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    crate::api::serve(|state| async move {
        use crate::server::{auth::guard, services::checkin};
        let user = guard::current_user(&state).await?;
        let door = checkin::door(
            &state,
            user.as_ref(),
            &event_id,
            device.as_deref(),
            chrono::Utc::now(),
        )
        .await?;
        body(state, door).await
    })
    .await
}

// The scanner (`public/door/door.js`) calls the door's functions by these fixed paths.

/// What the scanner keeps: public keys, tickets, counts.
#[server(endpoint = "door/get")]
pub async fn get_door(event_id: String, device: Option<String>) -> Result<DoorData, AppError> {
    at_door(event_id, device, |state, door| async move {
        crate::server::services::checkin::door_data(&state, &door, chrono::Utc::now()).await
    })
    .await
}

/// What changed at the event's doors since `cursor`, the time of the door's last answer.
#[server(endpoint = "door/changes")]
pub async fn get_door_changes(
    event_id: String,
    device: Option<String>,
    cursor: String,
) -> Result<DoorChanges, AppError> {
    at_door(event_id, device, |state, door| async move {
        crate::server::services::checkin::changes(&state, &door, &cursor, chrono::Utc::now()).await
    })
    .await
}

/// One scan: a signed pass or a typed code.
#[server(endpoint = "door/check_in")]
pub async fn check_in_ticket(
    event_id: String,
    device: Option<String>,
    scan_id: String,
    text: String,
    scanned_at: Option<String>,
) -> Result<CheckInAnswer, AppError> {
    at_door(event_id, device, |state, door| async move {
        let scan = ScanIn {
            scan_id,
            text,
            scanned_at,
        };
        crate::server::services::checkin::check_in(&state, &door, &scan, chrono::Utc::now()).await
    })
    .await
}

/// Scans queued while the door was offline.
#[server(input = server_fn::codec::Json, endpoint = "door/sync")]
pub async fn sync_scans(
    event_id: String,
    device: Option<String>,
    scans: Vec<ScanIn>,
) -> Result<Vec<CheckInAnswer>, AppError> {
    at_door(event_id, device, |state, door| async move {
        crate::server::services::checkin::sync(&state, &door, scans, chrono::Utc::now()).await
    })
    .await
}

/// Checked in of sold per ticket type, for the event's page.
#[server]
pub async fn get_checkin_counts(event_id: String) -> Result<Vec<CheckInCount>, AppError> {
    at_door(event_id, None, |state, door| async move {
        crate::server::services::checkin::counts(&state, &door.event.id).await
    })
    .await
}

/// The organizer takes a check-in back (the ticket by its reference).
#[server]
pub async fn undo_check_in(event_id: String, reference: String) -> Result<(), AppError> {
    at_door(event_id, None, |state, door| async move {
        crate::server::services::checkin::undo(&state, &door, &reference).await
    })
    .await
}

#[server]
pub async fn list_door_staff(event_id: String) -> Result<Vec<DoorStaffRow>, AppError> {
    at_door(event_id, None, |state, door| async move {
        crate::server::services::doors::staff(&state, &door, chrono::Utc::now()).await
    })
    .await
}

/// Adds an account, by email, as door staff of the event.
#[server]
pub async fn add_door_staff(event_id: String, email: String) -> Result<(), AppError> {
    at_door(event_id, None, |state, door| async move {
        let email = crate::domain::Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        crate::server::services::doors::add_staff_account(&state, &door, &email).await
    })
    .await
}

/// Makes a device link for the event's scanner; the link is shown once.
#[server]
pub async fn create_door_link(
    event_id: String,
    label: String,
    hours: String,
) -> Result<String, AppError> {
    at_door(event_id, None, |state, door| async move {
        let hours = hours
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::field("hours", "Enter a number of hours."))?;
        crate::server::services::doors::create_device_link(
            &state,
            &door,
            &label,
            hours,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

#[server]
pub async fn revoke_door_staff(event_id: String, staff_id: String) -> Result<(), AppError> {
    at_door(event_id, None, |state, door| async move {
        crate::server::services::doors::revoke_staff(&state, &door, &staff_id).await
    })
    .await
}

/// Rotates the event's signing key; answers how many keys it now has.
#[server]
pub async fn rotate_door_key(event_id: String) -> Result<usize, AppError> {
    at_door(event_id, None, |state, door| async move {
        crate::server::services::doors::rotate_key(&state, &door).await
    })
    .await
}

/// Tickets scanned again after their admission, newest first.
#[server]
pub async fn list_duplicate_scans(event_id: String) -> Result<Vec<DuplicateScan>, AppError> {
    at_door(event_id, None, |state, door| async move {
        crate::server::services::doors::duplicates(&state, &door).await
    })
    .await
}
