//! Organizers' side of events: create, edit, change status, delete. Every function checks
//! that the caller may manage the event, validates everything, and writes atomically.
use super::managed::load_managed;
use crate::domain::event_form::{validate, EventForm, Mode, TicketForm, ValidEvent};
use crate::domain::{slugify, EventAction, EventEditorData, EventStatus, StatusChange};
use crate::error::{AppError, FieldError};
use crate::server::auth::session::CurrentUser;
use crate::server::db::events::{
    TicketTypeRecord, CAPACITY_BELOW_SOLD, CURRENCY_LOCKED, TICKET_TYPE_IN_USE,
};
use crate::server::db::orders::OrderRepo;
use crate::server::db::{DbError, EventRepo, EventWrite, TicketTypeWrite};
use crate::server::services::orders;
use crate::server::state::AppState;
use crate::server::storage::{self, image, StoredImage};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The image part of an upload, already bounded in size while it was read.
pub enum ImageUpload {
    None,
    TooLarge,
    Bytes(Vec<u8>),
}

/// A submitted event form with its image.
pub struct EventUpload {
    pub form: EventForm,
    pub image: ImageUpload,
}

/// Checks and cleans an uploaded image off the async threads, a few at a time.
async fn prepare_image(upload: ImageUpload) -> Result<Option<image::PreparedImage>, FieldError> {
    let result = match upload {
        ImageUpload::None => return Ok(None),
        ImageUpload::TooLarge => Err(image::ImageError::TooLarge),
        ImageUpload::Bytes(bytes) => image::prepare_in_turn(bytes).await,
    };
    result.map(Some).map_err(|e| FieldError {
        field: "image".into(),
        message: e.to_string(),
    })
}

/// Validates the form and the image together, so the user sees every problem at once.
async fn validate_upload(
    upload: EventUpload,
    mode: Mode,
    now: DateTime<Utc>,
) -> Result<(ValidEvent, Option<image::PreparedImage>), AppError> {
    let form = validate(&upload.form, mode, now);
    let image = prepare_image(upload.image).await;
    match (form, image) {
        (Ok(event), Ok(image)) => Ok((event, image)),
        (form, image) => {
            let mut errors = form.err().unwrap_or_default();
            errors.extend(image.err());
            Err(AppError::Fields(errors))
        }
    }
}

fn write_of(
    event: &ValidEvent,
    slug: String,
    image: (Option<String>, Option<String>),
) -> EventWrite {
    EventWrite {
        title: event.title.clone(),
        slug,
        description: event.description.clone(),
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        time_zone: event.time_zone.clone(),
        venue: event.venue.clone(),
        address: event.address.clone(),
        online_url: event.online_url.clone(),
        image_url: image.0,
        thumb_url: image.1,
        currency: event.currency.code().to_owned(),
        ticket_types: event
            .tickets
            .iter()
            .map(|t| TicketTypeWrite {
                id: t.id.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
                price_minor: t.price.minor(),
                capacity: t.capacity,
                min_per_order: t.min_per_order,
                max_per_order: t.max_per_order,
                sale_starts_at: t.sale_starts_at,
                sale_ends_at: t.sale_ends_at,
            })
            .collect(),
    }
}

/// Runs `write` with the title's slug, then with a random suffix while the slug is taken.
async fn with_free_slug<F, Fut, T>(title: &str, mut write: F) -> Result<T, DbError>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, DbError>>,
{
    let base = slugify(title);
    let mut slug = base.clone();
    for _ in 0..4 {
        match write(slug).await {
            Err(DbError::Duplicate(_)) => {
                let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
                slug = format!("{base}-{suffix}");
            }
            other => return other,
        }
    }
    write(slug).await
}

/// Stores the cleaned image, if any.
async fn store_image(
    state: &AppState,
    image: Option<image::PreparedImage>,
) -> Result<Option<StoredImage>, AppError> {
    match image {
        None => Ok(None),
        Some(image) => storage::store(state.images.as_ref(), &image)
            .await
            .map(Some)
            .map_err(|e| {
                let reference = AppError::internal(e);
                AppError::Fields(vec![FieldError {
                    field: "image".into(),
                    message: format!(
                        "We could not store the image ({reference}). Please try again."
                    ),
                }])
            }),
    }
}

/// Creates an event with its ticket types (and image); returns its slug.
pub async fn create_event(
    state: &AppState,
    user: &CurrentUser,
    upload: EventUpload,
    publish: bool,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    if !user.role.can_organize() {
        return Err(AppError::Forbidden);
    }
    let (event, image) = validate_upload(upload, Mode::Create, now).await?;
    let stored = store_image(state, image).await?;
    let urls = stored
        .as_ref()
        .map(|s| (Some(s.cover_url.clone()), Some(s.thumb_url.clone())))
        .unwrap_or_default();
    let status = if publish {
        EventStatus::Published
    } else {
        EventStatus::Draft
    };
    let repo = EventRepo(&state.db);
    let created = with_free_slug(&event.title, |slug| {
        let write = write_of(&event, slug.clone(), urls.clone());
        async move {
            repo.create(&user.id, status, write)
                .await
                .map(|id| (id, slug))
        }
    })
    .await;
    match created {
        Ok((id, slug)) => {
            tracing::info!(event = %id, %slug, status = status.as_str(), by = %user.id, "event created");
            Ok(slug)
        }
        Err(e) => {
            if let Some(stored) = &stored {
                storage::discard(state.images.as_ref(), stored).await;
            }
            Err(AppError::internal(e))
        }
    }
}

fn local_input(at: DateTime<Utc>, time_zone: &str) -> String {
    let format = "%Y-%m-%dT%H:%M";
    match time_zone.parse::<Tz>() {
        Ok(tz) => at.with_timezone(&tz).format(format).to_string(),
        Err(_) => at.format(format).to_string(),
    }
}

/// The event as the editor form shows it.
pub async fn editor_data(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<EventEditorData, AppError> {
    let (event, tickets) = load_managed(state, user, id).await?;
    let currency = crate::server::format::money(0, &event.currency)?.currency();
    let tz = event.time_zone.clone();
    let optional_time =
        |at: Option<DateTime<Utc>>| at.map(|at| local_input(at, &tz)).unwrap_or_default();
    let form = EventForm {
        title: event.title.clone(),
        description: event.description.clone(),
        time_zone: event.time_zone.clone(),
        starts_at: local_input(event.starts_at, &event.time_zone),
        ends_at: local_input(event.ends_at, &event.time_zone),
        venue: event.venue.clone(),
        address: event.address.clone(),
        online_url: event.online_url.clone().unwrap_or_default(),
        currency: event.currency.clone(),
        tickets: tickets
            .iter()
            .map(|t| TicketForm {
                id: t.id.clone(),
                name: t.name.clone(),
                description: t.description.clone().unwrap_or_default(),
                price: crate::domain::Money::new(t.price_minor, currency).format_plain(),
                capacity: t.capacity.to_string(),
                min_per_order: t.min_per_order.to_string(),
                max_per_order: t.max_per_order.to_string(),
                sale_starts_at: optional_time(t.sale_starts_at),
                sale_ends_at: optional_time(t.sale_ends_at),
            })
            .collect(),
    };
    let refunds_owed = OrderRepo(&state.db)
        .owed_refunds_of_event(&event.id)
        .await
        .map_err(AppError::internal)?;
    Ok(EventEditorData {
        refunds_owed: u32::try_from(refunds_owed).unwrap_or(0),
        transfers_allowed: event.transfers_allowed,
        status: event.status,
        taken: tickets
            .iter()
            .map(|t| u32::try_from(t.held + t.sold).unwrap_or(0))
            .collect(),
        id: event.id,
        slug: event.slug,
        image_url: event.image_url,
        form,
    })
}

/// The organizer allows or forbids ticket transfers for the event.
pub async fn set_transfers_allowed(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    allowed: bool,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, id).await?;
    EventRepo(&state.db)
        .set_transfers_allowed(&event.id, allowed, &user.actor())
        .await
        .map_err(AppError::internal)?;
    state.event_cache.clear();
    Ok(())
}

/// Saves an edited event; returns its (possibly new) slug.
pub async fn update_event(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    upload: EventUpload,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (before, tickets) = load_managed(state, user, id).await?;
    if before.status == EventStatus::Cancelled {
        return Err(AppError::Validation(
            "This event is cancelled; it cannot be edited.".into(),
        ));
    }
    let (event, image) = validate_upload(upload, Mode::Edit, now).await?;
    let stored = store_image(state, image).await?;
    let urls = match &stored {
        Some(s) => (Some(s.cover_url.clone()), Some(s.thumb_url.clone())),
        None => (before.image_url.clone(), before.thumb_url.clone()),
    };
    let repo = EventRepo(&state.db);
    // The slug is part of shared links once the event was published; until then it follows
    // the title.
    let result = if before.first_published_at.is_some() || slugify(&event.title) == before.slug {
        let write = write_of(&event, before.slug.clone(), urls.clone());
        repo.update(id, write).await.map(|()| before.slug.clone())
    } else {
        with_free_slug(&event.title, |slug| {
            let write = write_of(&event, slug.clone(), urls.clone());
            async move { repo.update(id, write).await.map(|()| slug) }
        })
        .await
    };
    match result {
        Ok(slug) => {
            if stored.is_some() {
                storage::discard_urls(
                    state.images.as_ref(),
                    &[before.image_url.clone(), before.thumb_url.clone()],
                )
                .await;
            }
            state.event_cache.clear();
            tracing::info!(event = %id, by = %user.id, "event edited");
            // A raised capacity is offered to the waiting list first.
            super::waitlist::offer_seats(state, Utc::now()).await?;
            Ok(slug)
        }
        Err(e) => {
            if let Some(stored) = &stored {
                storage::discard(state.images.as_ref(), stored).await;
            }
            Err(refusal(e, &event, &tickets))
        }
    }
}

/// Turns a refused edit into the message for the field that caused it.
fn refusal(error: DbError, event: &ValidEvent, tickets: &[TicketTypeRecord]) -> AppError {
    let DbError::Rejected(code) = &error else {
        return AppError::internal(error);
    };
    if let Some(index) = code.strip_prefix(CAPACITY_BELOW_SOLD) {
        let ticket = index
            .parse::<usize>()
            .ok()
            .and_then(|i| event.tickets.get(i));
        if let Some(ticket) = ticket {
            let taken = tickets
                .iter()
                .find(|t| Some(&t.id) == ticket.id.as_ref())
                .map(|t| t.held + t.sold)
                .unwrap_or_default();
            return AppError::field(
                &format!("ticket_capacity.{}", ticket.row),
                format!("{taken} tickets are already sold or held; the capacity cannot be lower."),
            );
        }
    }
    if let Some(id) = code.strip_prefix(TICKET_TYPE_IN_USE) {
        let name = tickets
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.as_str())
            .unwrap_or("A ticket type");
        return AppError::Validation(format!(
            "“{name}” has tickets sold or held, so it cannot be removed."
        ));
    }
    if code == CURRENCY_LOCKED {
        return AppError::field(
            "currency",
            "The currency cannot change once tickets are sold.",
        );
    }
    AppError::internal(error)
}

/// Publishes, unpublishes or cancels an event.
pub async fn change_status(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    action: EventAction,
) -> Result<StatusChange, AppError> {
    let (event, tickets) = load_managed(state, user, id).await?;
    let from = event.status;
    let taken = tickets.iter().any(|t| t.held + t.sold > 0);
    let to = action.target(from, taken).map_err(AppError::Validation)?;
    let changed = EventRepo(&state.db)
        .change_status(id, from, to)
        .await
        .map_err(AppError::internal)?;
    if !changed {
        return Err(AppError::Validation(
            "The event changed in the meantime. Please reload and try again.".into(),
        ));
    }
    state.event_cache.clear();
    tracing::info!(event = %id, from = from.as_str(), to = to.as_str(), by = %user.id, "event status changed");
    let mut change = StatusChange {
        status: to,
        refunded: 0,
        refunds_failed: 0,
        refunds_waiting: 0,
        holds_cancelled: 0,
    };
    if to == EventStatus::Cancelled {
        // The event is cancelled whatever happens next: what this cannot finish now, the
        // refunds job finishes (it settles every order of a cancelled event).
        let actor = user.actor();
        match orders::settle_cancelled_event(state, id, &actor, Utc::now()).await {
            Ok(settled) => {
                tracing::info!(event = %id, ?settled, "orders of the cancelled event settled");
                change.refunded = settled.refunded;
                change.refunds_failed = settled.refunds_failed;
                change.refunds_waiting = settled.refunds_waiting;
                change.holds_cancelled = settled.holds_cancelled;
            }
            Err(e) => {
                tracing::error!(event = %id, error = %e, "settling the cancelled event's orders failed; the refunds job goes on")
            }
        }
    }
    Ok(change)
}

/// Deletes a draft and its image.
pub async fn delete_draft(state: &AppState, user: &CurrentUser, id: &str) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, id).await?;
    let deleted = EventRepo(&state.db)
        .delete_draft(id)
        .await
        .map_err(AppError::internal)?;
    if !deleted {
        return Err(AppError::Validation(
            "Only a draft without tickets sold can be deleted. Cancel the event instead.".into(),
        ));
    }
    state.event_cache.clear();
    storage::discard_urls(state.images.as_ref(), &[event.image_url, event.thumb_url]).await;
    tracing::info!(event = %id, by = %user.id, "draft event deleted");
    Ok(())
}
