//! Reading the public catalogue: upcoming events and event pages.
use crate::domain::{
    Currency, EventDetail, EventListPage, EventStatus, EventSummary, Money, Role, TicketTypeView,
};
use crate::error::AppError;
use crate::server::auth::session::CurrentUser;
use crate::server::db::events::{EventRecord, TicketTypeRecord};
use crate::server::db::{Db, DbError, EventRepo};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::time::Instant;

/// "Sat 14 Mar 2027, 19:00 CET" in the event's zone; UTC when the stored zone is unknown.
pub fn format_when(at: DateTime<Utc>, time_zone: &str) -> String {
    match time_zone.parse::<Tz>() {
        Ok(tz) => at
            .with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M %Z")
            .to_string(),
        Err(_) => at.format("%a %-d %b %Y, %H:%M UTC").to_string(),
    }
}

pub fn money(minor: i64, currency: &str) -> Result<Money, AppError> {
    let currency = Currency::parse(currency).map_err(AppError::internal)?;
    Ok(Money::new(minor, currency))
}

/// "Venue, address", or "Online" for an event with only a link.
pub fn place(venue: &str, address: &str, online: Option<&str>) -> String {
    match (venue.is_empty(), online) {
        (true, Some(_)) => "Online".to_owned(),
        _ if address.is_empty() => venue.to_owned(),
        _ => format!("{venue}, {address}"),
    }
}

pub const PAGE_SIZE: i64 = 12;

/// Upcoming published events, `PAGE_SIZE` per page (1-based), optionally searched.
pub async fn upcoming_events(
    db: &Db,
    now: DateTime<Utc>,
    search: &str,
    page: u32,
) -> Result<EventListPage, AppError> {
    let search = search.trim().to_lowercase();
    let search = (!search.is_empty()).then_some(search);
    let page = page.clamp(1, 10_000);
    let mut rows = EventRepo(db)
        .list_upcoming(
            now,
            search.as_deref(),
            i64::from(page - 1) * PAGE_SIZE,
            PAGE_SIZE,
        )
        .await
        .map_err(AppError::internal)?;
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let events = rows
        .into_iter()
        .map(|row| {
            Ok(EventSummary {
                when: format_when(row.starts_at, &row.time_zone),
                place: place(&row.venue, &row.address, row.online_url.as_deref()),
                price_from: row
                    .price_from
                    .map(|minor| money(minor, &row.currency))
                    .transpose()?,
                sold_out: row.available <= 0,
                slug: row.slug,
                title: row.title,
                starts_at: row.starts_at,
                image_url: row.thumb_url,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(EventListPage {
        events,
        page,
        has_next,
    })
}

/// RFC 3339 with the event zone's offset, as schema.org wants it.
fn iso_in_zone(at: DateTime<Utc>, time_zone: &str) -> String {
    match time_zone.parse::<Tz>() {
        Ok(tz) => at.with_timezone(&tz).to_rfc3339(),
        Err(_) => at.to_rfc3339(),
    }
}

fn ticket_view(
    t: TicketTypeRecord,
    event: &EventRecord,
    status: EventStatus,
    now: DateTime<Utc>,
) -> Result<TicketTypeView, AppError> {
    let not_yet = t.sale_starts_at.filter(|s| *s > now);
    let ended = t.sale_ends_at.is_some_and(|e| e <= now) || event.ends_at <= now;
    let on_sale = status == EventStatus::Published && not_yet.is_none() && !ended;
    let note = if status == EventStatus::Cancelled {
        "Cancelled".to_owned()
    } else if let Some(opens) = not_yet {
        format!("Sales open {}", format_when(opens, &event.time_zone))
    } else if ended {
        "Sales ended".to_owned()
    } else if t.available <= 0 {
        "Sold out".to_owned()
    } else if t.available <= 10 {
        format!("Only {} left", t.available)
    } else {
        String::new()
    };
    Ok(TicketTypeView {
        price: money(t.price_minor, &event.currency)?,
        remaining: u32::try_from(t.available).unwrap_or(0),
        max_per_order: u32::try_from(t.max_per_order.min(t.available)).unwrap_or(0),
        on_sale,
        note,
        id: t.id,
        name: t.name,
        description: t.description,
    })
}

/// The public page of an event. A draft exists only for its organizer and admins.
pub async fn event_detail(
    state: &AppState,
    slug: &str,
    viewer: Option<&CurrentUser>,
    now: DateTime<Utc>,
) -> Result<EventDetail, AppError> {
    let base_url = &state.settings.public_base_url;
    let (event, ticket_types) = state
        .event_cache
        .find_by_slug(&state.db, slug)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let status = EventStatus::parse(&event.status)
        .ok_or_else(|| AppError::internal(format!("unknown event status {}", event.status)))?;
    let can_manage = viewer.is_some_and(|user| may_manage(user, &event.organizer));
    if status == EventStatus::Draft && !can_manage {
        return Err(AppError::NotFound("event".into()));
    }
    let ticket_types = ticket_types
        .into_iter()
        .map(|t| ticket_view(t, &event, status, now))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(EventDetail {
        when: format_when(event.starts_at, &event.time_zone),
        starts_at_iso: iso_in_zone(event.starts_at, &event.time_zone),
        ends_at_iso: iso_in_zone(event.ends_at, &event.time_zone),
        canonical_url: format!("{base_url}/events/{}", event.slug),
        share_image_url: event.image_url.as_ref().map(|url| {
            if url.starts_with('/') {
                format!("{base_url}{url}")
            } else {
                url.clone()
            }
        }),
        can_manage,
        payments_test_mode: state.payments.is_demo(),
        id: event.id,
        slug: event.slug,
        title: event.title,
        description: event.description,
        time_zone: event.time_zone,
        venue: event.venue,
        address: event.address,
        online_url: event.online_url,
        image_url: event.image_url,
        organizer_name: event.organizer_name,
        status,
        ticket_types,
    })
}

type EventRows = (EventRecord, Vec<TicketTypeRecord>);

/// Event pages read by slug during the last second. A popular page is then one database
/// read per second, not one per view; availability shown may lag a sale on another
/// instance by that second (checkout re-checks it). Writes through this instance call
/// [`EventCache::clear`], so an organizer and a buyer see their own change at once.
#[derive(Default)]
pub struct EventCache {
    entries: std::sync::Mutex<CacheEntries>,
}

/// A generation that every clear moves on, and the rows with when they were read.
#[derive(Default)]
struct CacheEntries(u64, HashMap<String, (Instant, EventRows)>);

impl EventCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(1);
    const MAX_ENTRIES: usize = 10_000;

    async fn find_by_slug(&self, db: &Db, slug: &str) -> Result<Option<EventRows>, DbError> {
        let generation = {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, rows)) = entries.1.get(slug) {
                if at.elapsed() < Self::TTL {
                    return Ok(Some(rows.clone()));
                }
            }
            entries.0
        };
        let found = EventRepo(db).find_by_slug(slug).await?;
        if let Some(rows) = &found {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            // A write cleared the cache while we read: what we read may predate it.
            if entries.0 == generation {
                if entries.1.len() >= Self::MAX_ENTRIES {
                    entries.1.clear();
                }
                entries
                    .1
                    .insert(slug.to_owned(), (Instant::now(), rows.clone()));
            }
        }
        Ok(found)
    }

    /// After any change to an event or its ticket ledger.
    pub fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.0 += 1;
        entries.1.clear();
    }
}

/// An organizer manages their own events; an admin manages all.
pub fn may_manage(user: &CurrentUser, organizer_id: &str) -> bool {
    user.role == Role::Admin || (user.role.can_organize() && user.id == organizer_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_in_the_event_zone() {
        let at = Utc.with_ymd_and_hms(2027, 3, 13, 18, 0, 0).unwrap();
        assert_eq!(
            format_when(at, "Europe/Berlin"),
            "Sat 13 Mar 2027, 19:00 CET"
        );
        assert_eq!(format_when(at, "Not/AZone"), "Sat 13 Mar 2027, 18:00 UTC");
    }

    #[test]
    fn place_prefers_venue_and_address() {
        assert_eq!(place("Hall A", "Main St 1", None), "Hall A, Main St 1");
        assert_eq!(place("", "", Some("https://meet")), "Online");
        assert_eq!(place("Hall A", "", None), "Hall A");
    }
}
