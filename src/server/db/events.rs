use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

/// A row of the public event list, with its cheapest price and remaining stock.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct EventListRecord {
    pub slug: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub time_zone: String,
    pub venue: String,
    pub address: String,
    pub online_url: Option<String>,
    pub image_url: Option<String>,
    pub currency: String,
    pub price_from: Option<i64>,
    pub available: i64,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct EventRecord {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub venue: String,
    pub address: String,
    pub online_url: Option<String>,
    pub image_url: Option<String>,
    pub currency: String,
    pub status: String,
    pub organizer_name: String,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct TicketTypeRecord {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub price_minor: i64,
    pub capacity: i64,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
    pub sale_starts_at: Option<DateTime<Utc>>,
    pub sale_ends_at: Option<DateTime<Utc>>,
    pub min_per_order: i64,
    pub max_per_order: i64,
}

/// What creating an event writes: the event and all its ticket types, in one transaction.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewEvent {
    pub organizer: String,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub venue: String,
    pub address: String,
    pub online_url: Option<String>,
    pub image_url: Option<String>,
    pub currency: String,
    pub status: String,
    pub ticket_types: Vec<NewTicketType>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewTicketType {
    pub name: String,
    pub description: Option<String>,
    pub price_minor: i64,
    pub capacity: i64,
    pub min_per_order: i64,
    pub max_per_order: i64,
}

pub struct EventRepo<'a>(pub &'a Db);

impl EventRepo<'_> {
    pub async fn list_upcoming(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<EventListRecord>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT slug, title, starts_at, time_zone, venue, address, online_url, image_url,
                    currency,
                    math::min((SELECT VALUE price_minor FROM ticket_type WHERE event = $parent.id)) AS price_from,
                    math::sum((SELECT VALUE available FROM ticket_type WHERE event = $parent.id)) AS available
                 FROM event WHERE status = 'published' AND ends_at > $now
                 ORDER BY starts_at ASC LIMIT $limit",
                vars![("now", now), ("limit", limit)],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }

    /// A published event by slug, with its ticket types in display order.
    pub async fn find_published(
        &self,
        slug: &str,
    ) -> Result<Option<(EventRecord, Vec<TicketTypeRecord>)>, DbError> {
        let mut response = self
            .0
            .execute(
                "LET $event = (SELECT * FROM event WHERE slug = $slug AND status != 'draft' LIMIT 1)[0];
                 SELECT record::id(id) AS id, slug, title, description, starts_at, ends_at,
                    time_zone, venue, address, online_url, image_url, currency, status,
                    organizer.name AS organizer_name
                 FROM $event.id;
                 SELECT record::id(id) AS id, name, description, price_minor, capacity,
                    available, held, sold, sale_starts_at, sale_ends_at, min_per_order,
                    max_per_order, position
                 FROM ticket_type WHERE event = $event.id ORDER BY position ASC;",
                vars![("slug", slug.to_owned())],
            )
            .await?;
        let mut events: Vec<EventRecord> = response.take(1).map_err(DbError::from_surreal)?;
        let Some(event) = events.pop() else {
            return Ok(None);
        };
        let ticket_types = response.take(2).map_err(DbError::from_surreal)?;
        Ok(Some((event, ticket_types)))
    }

    /// Writes the event and its ticket types atomically; returns the event id.
    pub async fn create(&self, event: NewEvent) -> Result<String, DbError> {
        let id = super::new_id();
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 CREATE type::record('event', $id) SET
                    organizer = type::record('user', $e.organizer), title = $e.title,
                    slug = $e.slug, description = $e.description, starts_at = $e.starts_at,
                    ends_at = $e.ends_at, time_zone = $e.time_zone, venue = $e.venue,
                    address = $e.address, online_url = $e.online_url, image_url = $e.image_url,
                    currency = $e.currency, status = $e.status,
                    created_at = time::now(), updated_at = time::now();
                 FOR $i IN 0..array::len($e.ticket_types) {
                    LET $t = $e.ticket_types[$i];
                    CREATE ticket_type SET event = type::record('event', $id), name = $t.name,
                        description = $t.description, price_minor = $t.price_minor,
                        capacity = $t.capacity, available = $t.capacity, held = 0, sold = 0,
                        min_per_order = $t.min_per_order, max_per_order = $t.max_per_order,
                        position = $i;
                 };
                 COMMIT TRANSACTION;",
                vars![("id", id.clone()), ("e", event)],
            )
            .await?;
        Ok(id)
    }
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrganizerEventRecord {
    pub slug: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub time_zone: String,
    pub status: String,
    pub sold: i64,
    pub capacity: i64,
}

impl EventRepo<'_> {
    /// Events of one organizer, or of everyone when `organizer` is `None`.
    pub async fn list_for_organizer(
        &self,
        organizer: Option<&str>,
    ) -> Result<Vec<OrganizerEventRecord>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT slug, title, starts_at, time_zone, status, created_at,
                    math::sum((SELECT VALUE sold FROM ticket_type WHERE event = $parent.id)) AS sold,
                    math::sum((SELECT VALUE capacity FROM ticket_type WHERE event = $parent.id)) AS capacity
                 FROM event
                 WHERE !$organizer OR organizer = type::record('user', $organizer)
                 ORDER BY created_at DESC LIMIT 500",
                vars![("organizer", organizer.map(str::to_owned))],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }
}
