//! Reading the public catalogue: upcoming events and event pages.
use crate::domain::{EventDetail, EventListPage, EventStatus, EventSummary, TicketTypeView};
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::CurrentUser;
use crate::server::db::events::{EventRecord, TicketTypeRecord};
use crate::server::db::{Db, EventRepo};
use crate::server::format::{format_when, iso_in_zone, money, place};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};

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

pub(crate) fn ticket_view(
    t: TicketTypeRecord,
    event: &EventRecord,
    status: EventStatus,
    now: DateTime<Utc>,
) -> Result<TicketTypeView, AppError> {
    let not_yet = t.sale_starts_at.filter(|s| *s > now);
    let ended = t.sale_ends_at.is_some_and(|e| e <= now) || event.ends_at <= now;
    let on_sale = status == EventStatus::Published && not_yet.is_none() && !ended;
    // Seats that come back while people wait are theirs, not the next visitor's.
    let left = if t.waiting > 0 { 0 } else { t.left };
    let note = if status == EventStatus::Cancelled {
        "Cancelled".to_owned()
    } else if let Some(opens) = not_yet {
        format!("Sales open {}", format_when(opens, &event.time_zone))
    } else if ended {
        "Sales ended".to_owned()
    } else if left <= 0 {
        "Sold out".to_owned()
    } else if left <= 10 {
        format!("Only {left} left")
    } else {
        String::new()
    };
    Ok(TicketTypeView {
        price: money(t.price_minor, &event.currency)?,
        remaining: u32::try_from(left).unwrap_or(0),
        min_per_order: u32::try_from(t.min_per_order).unwrap_or(1),
        max_per_order: u32::try_from(t.max_per_order.min(left)).unwrap_or(0),
        on_sale,
        note,
        code_price: None,
        waitlist: on_sale && left <= 0 && event.waitlist_enabled,
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
    let (event, ticket_types, questions) = state
        .event_cache
        .find_by_slug(&state.db, slug)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let status = event.status;
    let can_manage = viewer.is_some_and(|user| may_manage(user, &event.organizer));
    if status == EventStatus::Draft && !can_manage {
        return Err(AppError::NotFound("event".into()));
    }
    // Hidden types are shown only with a code that reveals them (`sales::code_offer`).
    let ticket_types = ticket_types
        .into_iter()
        .filter(|t| !t.hidden)
        .map(|t| ticket_view(t, &event, status, now))
        .collect::<Result<Vec<_>, AppError>>()?;
    let questions = crate::server::services::questions::visible(questions)?;
    Ok(EventDetail {
        questions,
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
