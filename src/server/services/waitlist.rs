//! Waiting lists: buyers queue for a sold-out ticket type; seats that come back (a lapsed
//! hold, a refund, a raised capacity) are offered in order, each held for a while, and an
//! offer not taken passes on. `offer_seats` runs after every change that frees seats and
//! with the sweeper.
use super::managed::load_managed;
use crate::domain::holder::GuestDetails;
use crate::domain::sales::{WaitlistData, WaitlistOffer, WaitlistRow};
use crate::domain::EventStatus;
use crate::error::AppError;
use crate::server::auth::session::{new_token, session_key, CurrentUser};
use crate::server::db::waitlist::{EntryRecord, WaitlistRepo, ALREADY_WAITING};
use crate::server::db::{DbError, EventRepo};
use crate::server::format::{format_when, money};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};

/// Puts a buyer in line for a sold-out ticket type of a published event.
pub async fn join_waitlist(
    state: &AppState,
    event_id: &str,
    ticket_type_id: &str,
    name: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let who = GuestDetails::parse(name, email)?;
    let (event, types) = EventRepo(&state.db)
        .find_by_id(event_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let ticket_type = types
        .iter()
        .find(|t| t.id == ticket_type_id)
        .ok_or_else(|| AppError::NotFound("ticket type".into()))?;
    if event.status != EventStatus::Published || event.ends_at <= now {
        return Err(AppError::Validation(
            "Tickets for this event are not on sale.".into(),
        ));
    }
    if !event.waitlist_enabled {
        return Err(AppError::Validation(
            "The organizer has closed the waiting list for this event.".into(),
        ));
    }
    if ticket_type.left > 0 && ticket_type.waiting == 0 {
        return Err(AppError::Validation(format!(
            "“{}” is not sold out: you can buy a ticket now.",
            ticket_type.name
        )));
    }
    let joined = WaitlistRepo(&state.db)
        .join(&event.id, &ticket_type.id, &who.name, who.email.as_str())
        .await;
    match joined {
        Ok(()) => Ok(()),
        Err(DbError::Rejected(code)) if code == ALREADY_WAITING => {
            Err(AppError::Validation(format!(
                "You are already on the waiting list for “{}”.",
                ticket_type.name
            )))
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

/// Ends lapsed offers, then offers every free seat to the next in line, type by type.
/// Returns how many offers were made.
pub async fn offer_seats(state: &AppState, now: DateTime<Utc>) -> Result<usize, AppError> {
    let repo = WaitlistRepo(&state.db);
    let expired = repo.expire_offers(now).await.map_err(AppError::internal)?;
    let until = now + Duration::seconds(state.settings.offer_hold_secs);
    let mut offered = 0;
    for ticket_type in repo.types_waiting().await.map_err(AppError::internal)? {
        loop {
            let key = new_token();
            let made = repo
                .offer_next(&ticket_type, until, (&key, &session_key(&key)))
                .await
                .map_err(AppError::internal)?;
            if !made {
                break;
            }
            offered += 1;
        }
    }
    if offered + expired > 0 {
        state.event_cache.clear();
        tracing::info!(offered, expired, "waiting-list offers");
    }
    Ok(offered)
}

/// The offer behind a link, for the person it was made to.
pub async fn offer_view(
    state: &AppState,
    entry_id: &str,
    key: &str,
) -> Result<WaitlistOffer, AppError> {
    let entry = WaitlistRepo(&state.db)
        .find(entry_id)
        .await
        .map_err(AppError::internal)?
        .filter(|e| e.offer_key.as_deref() == Some(&session_key(key)))
        .ok_or_else(|| AppError::NotFound("offer".into()))?;
    let (event, types) = EventRepo(&state.db)
        .find_by_id(&entry.event)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("offer".into()))?;
    let price = types
        .iter()
        .find(|t| t.id == entry.ticket_type)
        .map(|t| money(t.price_minor, &event.currency))
        .transpose()?;
    let questions = crate::server::services::questions::asked(state, &event.id).await?;
    Ok(WaitlistOffer {
        open: entry.status == "offered" && entry.offer_expires_at.is_some_and(|u| u > Utc::now()),
        until: entry
            .offer_expires_at
            .map(|at| format_when(at, &event.time_zone))
            .unwrap_or_default(),
        event_id: event.id,
        event_title: event.title,
        event_slug: event.slug,
        ticket_type_id: entry.ticket_type,
        type_name: entry.type_name,
        price,
        name: entry.name,
        email: entry.email,
        questions,
    })
}

/// The event's waiting list, for its organizer.
pub async fn waitlist_data(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
) -> Result<WaitlistData, AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    let entries = WaitlistRepo(&state.db)
        .of_event(&event.id)
        .await
        .map_err(AppError::internal)?;
    let mut position = 0;
    let rows = entries
        .into_iter()
        .map(|e: EntryRecord| {
            let waiting = e.status == "waiting";
            position += usize::from(waiting);
            WaitlistRow {
                position: waiting.then_some(position),
                joined: format_when(e.joined_at, &event.time_zone),
                offer_until: e
                    .offer_expires_at
                    .filter(|_| e.status == "offered")
                    .map(|at| format_when(at, &event.time_zone)),
                id: e.id,
                name: e.name,
                email: e.email,
                type_name: e.type_name,
                status: e.status,
            }
        })
        .collect();
    Ok(WaitlistData {
        enabled: event.waitlist_enabled,
        rows,
    })
}

/// Takes someone off the list; an offer they held passes on.
pub async fn remove_entry(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    entry_id: &str,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    let removed = WaitlistRepo(&state.db)
        .remove(&event.id, entry_id, &user.actor())
        .await
        .map_err(AppError::internal)?;
    if !removed {
        return Err(AppError::NotFound("waiting-list entry".into()));
    }
    offer_seats(state, Utc::now()).await?;
    Ok(())
}

/// Opens or closes the event's waiting lists (those already in line keep their place).
pub async fn set_waitlist_enabled(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    enabled: bool,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    WaitlistRepo(&state.db)
        .set_enabled(&event.id, enabled, &user.actor())
        .await
        .map_err(AppError::internal)?;
    state.event_cache.clear();
    Ok(())
}
