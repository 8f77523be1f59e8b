use super::outbox::QUEUE_ORDER_EMAIL;
use super::{Db, DbError};
use crate::domain::EventStatus;
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
    pub thumb_url: Option<String>,
    pub currency: String,
    pub price_from: Option<i64>,
    pub available: i64,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct EventRecord {
    pub id: String,
    pub organizer: String,
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
    pub thumb_url: Option<String>,
    pub currency: String,
    pub status: EventStatus,
    pub first_published_at: Option<DateTime<Utc>>,
    pub organizer_name: String,
    /// Ticket holders may pass their tickets on (until the event starts).
    pub transfers_allowed: bool,
    /// Buyers may join a waiting list for a sold-out ticket type.
    pub waitlist_enabled: bool,
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
    /// Sold only to buyers with an access code that reveals it.
    pub hidden: bool,
    /// Seats it can still sell: its own, and those of each shared capacity it is in.
    pub left: i64,
    /// People in its waiting list (seats that come back go to them first).
    pub waiting: i64,
}

/// The fields of an event that creating and editing write. Editing keeps the organizer and
/// status; the image URLs are the final ones (old or replaced).
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct EventWrite {
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
    pub thumb_url: Option<String>,
    pub currency: String,
    pub ticket_types: Vec<TicketTypeWrite>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct TicketTypeWrite {
    /// `None` creates a new ticket type.
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub price_minor: i64,
    pub capacity: i64,
    pub min_per_order: i64,
    pub max_per_order: i64,
    pub sale_starts_at: Option<DateTime<Utc>>,
    pub sale_ends_at: Option<DateTime<Utc>>,
}

/// What the editor's transaction refused, thrown from SurrealQL with these codes.
pub const CAPACITY_BELOW_SOLD: &str = "capacity_below_sold:";
pub const TICKET_TYPE_IN_USE: &str = "ticket_type_in_use:";
pub const CURRENCY_LOCKED: &str = "currency_locked";

/// Queues the "date, time or place changed" email for every paid order of `$event` with a
/// valid ticket, unless one is still waiting to go out (it is built when sent, so it will
/// carry these details too).
fn tell_holders() -> String {
    format!(
        "FOR $held IN (SELECT id, buyer.email ?? guest_email AS email FROM purchase
            WHERE event = $event AND status = 'paid') {{
            LET $valid = (SELECT VALUE id FROM ticket WHERE purchase = $held.id AND status = 'valid');
            LET $waiting = (SELECT VALUE id FROM outbox WHERE purchase = $held.id
                AND kind = 'event_changed' AND status = 'pending');
            IF array::len($valid) > 0 AND array::len($waiting) = 0 {{
                LET $purchase = $held.id;
                LET $kind = 'event_changed';
                LET $key = string::concat('event_changed/', record::id($held.id), '/', rand::uuid());
                LET $recipient = $held.email;
                {QUEUE_ORDER_EMAIL}
            }};
        }};"
    )
}

#[derive(Clone, Copy)]
pub struct EventRepo<'a>(pub &'a Db);

const EVENT_FIELDS: &str = "record::id(id) AS id, record::id(organizer) AS organizer, slug, title,
    description, starts_at, ends_at, time_zone, venue, address, online_url, image_url, thumb_url,
    currency, status, first_published_at, organizer.name AS organizer_name,
    transfers_allowed ?? true AS transfers_allowed, waitlist_enabled ?? true AS waitlist_enabled";

/// `left`: what the type can still sell, its shared capacities included.
const TICKET_FIELDS: &str = "record::id(id) AS id, name, description, price_minor, capacity,
    available, held, sold, sale_starts_at, sale_ends_at, min_per_order, max_per_order, position,
    hidden ?? false AS hidden,
    array::len((SELECT VALUE id FROM waitlist_entry
        WHERE ticket_type = $parent.id AND status = 'waiting')) AS waiting,
    math::min(array::concat([available], (SELECT VALUE available FROM quota
        WHERE event = $parent.event AND ticket_types CONTAINS $parent.id))) AS left";

/// Creates the ticket types `$e.ticket_types` that have no id, at their list position.
const CREATE_OR_UPDATE_TICKETS: &str = "
    FOR $i IN 0..array::len($e.ticket_types) {
        LET $t = $e.ticket_types[$i];
        IF $t.id = NONE {
            CREATE ticket_type SET event = $event, name = $t.name,
                description = $t.description, price_minor = $t.price_minor,
                capacity = $t.capacity, available = $t.capacity, held = 0, sold = 0,
                sale_starts_at = $t.sale_starts_at, sale_ends_at = $t.sale_ends_at,
                min_per_order = $t.min_per_order, max_per_order = $t.max_per_order,
                position = $i;
        } ELSE {
            LET $updated = (UPDATE type::record('ticket_type', $t.id) SET name = $t.name,
                    description = $t.description, price_minor = $t.price_minor,
                    capacity = $t.capacity, available = $t.capacity - held - sold,
                    sale_starts_at = $t.sale_starts_at, sale_ends_at = $t.sale_ends_at,
                    min_per_order = $t.min_per_order, max_per_order = $t.max_per_order,
                    position = $i
                WHERE event = $event AND held + sold <= $t.capacity RETURN AFTER);
            IF array::len($updated) = 0 { THROW string::concat('capacity_below_sold:', <string>$i) };
        };
    };";

impl EventRepo<'_> {
    /// Upcoming published events, soonest first, optionally matching `search`
    /// (lower-case) in title, venue or address. Returns one row more than `limit` when
    /// there is a next page.
    pub async fn list_upcoming(
        &self,
        now: DateTime<Utc>,
        search: Option<&str>,
        start: i64,
        limit: i64,
    ) -> Result<Vec<EventListRecord>, DbError> {
        self.0.rows(
                "SELECT slug, title, starts_at, time_zone, venue, address, online_url, thumb_url,
                    currency,
                    math::min((SELECT VALUE price_minor FROM ticket_type WHERE event = $parent.id)) AS price_from,
                    math::sum((SELECT VALUE available FROM ticket_type WHERE event = $parent.id)) AS available
                 FROM event WHERE status = 'published' AND ends_at > $now
                    AND ($search = NONE
                        OR string::contains(string::lowercase(title), $search)
                        OR string::contains(string::lowercase(venue), $search)
                        OR string::contains(string::lowercase(address), $search))
                 ORDER BY starts_at ASC LIMIT $limit START $start",
                vars![
                    ("now", now),
                    ("search", search.map(str::to_owned)),
                    ("start", start),
                    ("limit", limit + 1)
                ],
            ).await
    }

    async fn find_where(
        &self,
        condition: &str,
        value: String,
    ) -> Result<Option<(EventRecord, Vec<TicketTypeRecord>)>, DbError> {
        let sql = format!(
            "LET $event = (SELECT VALUE id FROM event WHERE {condition} LIMIT 1)[0];
             SELECT {EVENT_FIELDS} FROM $event;
             SELECT {TICKET_FIELDS} FROM ticket_type WHERE event = $event ORDER BY position ASC;"
        );
        let mut response = self.0.execute(&sql, vars![("value", value)]).await?;
        let mut events: Vec<EventRecord> = response.take(1).map_err(DbError::from_surreal)?;
        let Some(event) = events.pop() else {
            return Ok(None);
        };
        let ticket_types = response.take(2).map_err(DbError::from_surreal)?;
        Ok(Some((event, ticket_types)))
    }

    /// An event of any status by slug, with its ticket types in display order.
    pub async fn find_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<(EventRecord, Vec<TicketTypeRecord>)>, DbError> {
        self.find_where("slug = $value", slug.to_owned()).await
    }

    pub async fn find_by_id(
        &self,
        id: &str,
    ) -> Result<Option<(EventRecord, Vec<TicketTypeRecord>)>, DbError> {
        self.find_where("id = type::record('event', $value)", id.to_owned())
            .await
    }

    /// Writes the event and its ticket types atomically; returns the event id.
    pub async fn create(
        &self,
        organizer: &str,
        status: EventStatus,
        event: EventWrite,
    ) -> Result<String, DbError> {
        let id = super::new_id();
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $event = type::record('event', $id);
             CREATE $event SET
                organizer = type::record('user', $organizer), title = $e.title,
                slug = $e.slug, description = $e.description, starts_at = $e.starts_at,
                ends_at = $e.ends_at, time_zone = $e.time_zone, venue = $e.venue,
                address = $e.address, online_url = $e.online_url, image_url = $e.image_url,
                thumb_url = $e.thumb_url, currency = $e.currency, status = $status,
                first_published_at = IF $status = 'published' {{ time::now() }} ELSE {{ NONE }},
                created_at = time::now(), updated_at = time::now();
             {CREATE_OR_UPDATE_TICKETS}
             COMMIT TRANSACTION;"
        );
        self.0
            .execute(
                &sql,
                vars![
                    ("id", id.clone()),
                    ("organizer", organizer.to_owned()),
                    ("status", status),
                    ("e", event)
                ],
            )
            .await?;
        Ok(id)
    }

    /// Allows or stops ticket transfers for the event, with its `event_log` row.
    pub async fn set_transfers_allowed(
        &self,
        id: &str,
        allowed: bool,
        actor: &str,
    ) -> Result<(), DbError> {
        let flag = super::flags::Flag {
            table: "event",
            id,
            event_id: id,
            field: "transfers_allowed",
            on: allowed,
            actions: ("transfers_allowed", "transfers_stopped"),
            detail: None,
            actor,
        };
        super::flags::switch(self.0, flag).await.map(|_| ())
    }

    /// Rewrites an event and its ticket types in one transaction. A ticket type missing
    /// from the list is deleted (and leaves its shared capacities); one with tickets sold
    /// or held cannot be deleted, nor can a capacity drop below what is sold or held, nor
    /// the currency change after a sale. When its date, time or place changed, every paid
    /// order with a valid ticket gets an email about it, in the same transaction.
    pub async fn update(&self, id: &str, event: EventWrite) -> Result<(), DbError> {
        let kept: Vec<String> = event
            .ticket_types
            .iter()
            .filter_map(|t| t.id.clone())
            .collect();
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $event = type::record('event', $id);
             LET $tickets = (SELECT record::id(id) AS id, held + sold AS taken
                FROM ticket_type WHERE event = $event);
             IF $e.currency != $event.currency AND math::sum($tickets.taken) > 0 {{
                THROW 'currency_locked'
             }};
             LET $in_use = (SELECT VALUE id FROM $tickets WHERE taken > 0 AND id NOTINSIDE $kept);
             IF array::len($in_use) > 0 {{
                THROW string::concat('ticket_type_in_use:', $in_use[0])
             }};
             DELETE ticket_type WHERE event = $event AND record::id(id) NOTINSIDE $kept;
             UPDATE quota SET ticket_types = ticket_types.filter(|$t| record::exists($t))
                WHERE event = $event;
             LET $before = (SELECT starts_at, ends_at, venue, address, online_url FROM ONLY $event);
             UPDATE $event SET title = $e.title, slug = $e.slug, description = $e.description,
                starts_at = $e.starts_at, ends_at = $e.ends_at, time_zone = $e.time_zone,
                venue = $e.venue, address = $e.address, online_url = $e.online_url,
                image_url = $e.image_url, thumb_url = $e.thumb_url, currency = $e.currency,
                updated_at = time::now();
             {CREATE_OR_UPDATE_TICKETS}
             IF $before.starts_at != $e.starts_at OR $before.ends_at != $e.ends_at
                OR $before.venue != $e.venue OR $before.address != $e.address
                OR $before.online_url != $e.online_url {{
                {tell}
             }};
             COMMIT TRANSACTION;",
            tell = tell_holders()
        );
        self.0
            .execute(
                &sql,
                vars![("id", id.to_owned()), ("kept", kept), ("e", event)],
            )
            .await?;
        Ok(())
    }

    /// Moves an event from `from` to `to`; false when it was not in `from` any more.
    pub async fn change_status(
        &self,
        id: &str,
        from: EventStatus,
        to: EventStatus,
    ) -> Result<bool, DbError> {
        let mut response = self
            .0
            .execute(
                "UPDATE type::record('event', $id) SET status = $to, updated_at = time::now(),
                    first_published_at = IF $to = 'published' AND first_published_at = NONE
                        { time::now() } ELSE { first_published_at }
                 WHERE status = $from RETURN VALUE record::id(id)",
                vars![("id", id.to_owned()), ("from", from), ("to", to)],
            )
            .await?;
        let changed: Vec<String> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(!changed.is_empty())
    }

    /// The seats of a ticket type still on sale (0 when it is gone).
    /// The name of a ticket type or shared capacity (`table` is `ticket_type` or `quota`)
    /// and how many seats it has left.
    pub async fn left_in(&self, table: &str, id: &str) -> Result<Option<(String, i64)>, DbError> {
        if table != "ticket_type" && table != "quota" {
            return Ok(None);
        }
        self.0
            .first(
                "SELECT VALUE [name, available] FROM type::record($table, $id)",
                vars![("table", table.to_owned()), ("id", id.to_owned())],
            )
            .await
    }

    /// Deletes a draft with nothing sold or held, and its ticket types; false otherwise.
    pub async fn delete_draft(&self, id: &str) -> Result<bool, DbError> {
        let response = self
            .0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $id);
                 LET $taken = math::sum((SELECT VALUE held + sold FROM ticket_type WHERE event = $event));
                 IF $taken > 0 OR $event.status != 'draft' { THROW 'not_a_draft' };
                 DELETE $event;
                 DELETE ticket_type WHERE event = $event;
                 COMMIT TRANSACTION;",
                vars![("id", id.to_owned())],
            )
            .await;
        super::committed_unless(response, "not_a_draft")
    }
}
