//! Reading the public catalogue: upcoming events and event pages.
use crate::domain::{
    Currency, EventDetail, EventStatus, EventSummary, Money, OrganizerEventRow, TicketTypeView,
};
use crate::error::AppError;
use crate::server::db::{Db, EventRepo};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

const LIST_LIMIT: i64 = 60;

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

fn money(minor: i64, currency: &str) -> Result<Money, AppError> {
    let currency = Currency::parse(currency).map_err(AppError::internal)?;
    Ok(Money::new(minor, currency))
}

fn place(venue: &str, address: &str, online: Option<&str>) -> String {
    match (venue.is_empty(), online) {
        (true, Some(_)) => "Online".to_owned(),
        _ if address.is_empty() => venue.to_owned(),
        _ => format!("{venue}, {address}"),
    }
}

pub async fn upcoming_events(db: &Db, now: DateTime<Utc>) -> Result<Vec<EventSummary>, AppError> {
    let rows = EventRepo(db)
        .list_upcoming(now, LIST_LIMIT)
        .await
        .map_err(AppError::internal)?;
    rows.into_iter()
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
                image_url: row.image_url,
            })
        })
        .collect()
}

pub async fn event_detail(
    db: &Db,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<EventDetail, AppError> {
    let (event, ticket_types) = EventRepo(db)
        .find_published(slug)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let status = EventStatus::parse(&event.status)
        .ok_or_else(|| AppError::internal(format!("unknown event status {}", event.status)))?;
    let ticket_types = ticket_types
        .into_iter()
        .map(|t| {
            let in_window =
                t.sale_starts_at.is_none_or(|s| s <= now) && t.sale_ends_at.is_none_or(|e| e > now);
            Ok(TicketTypeView {
                price: money(t.price_minor, &event.currency)?,
                remaining: u32::try_from(t.available).unwrap_or(0),
                max_per_order: u32::try_from(t.max_per_order.min(t.available)).unwrap_or(0),
                on_sale: in_window && status == EventStatus::Published && event.ends_at > now,
                id: t.id,
                name: t.name,
                description: t.description,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(EventDetail {
        when: format_when(event.starts_at, &event.time_zone),
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

pub async fn organizer_events(
    db: &Db,
    organizer: Option<&str>,
) -> Result<Vec<OrganizerEventRow>, AppError> {
    let rows = EventRepo(db)
        .list_for_organizer(organizer)
        .await
        .map_err(AppError::internal)?;
    rows.into_iter()
        .map(|row| {
            Ok(OrganizerEventRow {
                when: format_when(row.starts_at, &row.time_zone),
                status: EventStatus::parse(&row.status).ok_or_else(|| {
                    AppError::internal(format!("unknown event status {}", row.status))
                })?,
                sold: u32::try_from(row.sold).unwrap_or(0),
                capacity: u32::try_from(row.capacity).unwrap_or(0),
                slug: row.slug,
                title: row.title,
            })
        })
        .collect()
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
