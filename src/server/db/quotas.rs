//! Table `quota`: capacities shared by several ticket types of an event. Each change is one
//! transaction with its `event_log` row; the member ticket types are written too, so a
//! hold racing the change conflicts with it instead of slipping past its counters.
use super::{Db, DbError};
use crate::vars;
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct QuotaRecord {
    pub id: String,
    pub name: String,
    pub ticket_types: Vec<String>,
    pub capacity: i64,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
}

/// The capacity asked for is below the seats its ticket types already hold or sold.
pub const BELOW_TAKEN: &str = "quota_below_taken";
const NO_QUOTA: &str = "no_quota";

const FIELDS: &str =
    "record::id(id) AS id, name, ticket_types.map(|$t| record::id($t)) AS ticket_types,
    capacity, available, held, sold";

pub struct QuotaRepo<'a>(pub &'a Db);

impl QuotaRepo<'_> {
    pub async fn of_event(&self, event_id: &str) -> Result<Vec<QuotaRecord>, DbError> {
        self.0
            .rows(
                &format!(
                    "SELECT {FIELDS}, created_at FROM quota
                     WHERE event = type::record('event', $event) ORDER BY created_at, id"
                ),
                vars![("event", event_id.to_owned())],
            )
            .await
    }

    /// A new shared capacity over `ticket_types` (ids of the event's types); the seats
    /// they hold and sold count against it from the start.
    pub async fn create(
        &self,
        event_id: &str,
        name: &str,
        capacity: i64,
        ticket_types: &[String],
        actor: &str,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 LET $types = (SELECT VALUE id FROM ticket_type
                    WHERE event = $event AND record::id(id) IN $ids);
                 LET $taken = (UPDATE $types SET held = held RETURN held, sold);
                 LET $held = math::sum($taken.held);
                 LET $sold = math::sum($taken.sold);
                 IF $held + $sold > $capacity { THROW 'quota_below_taken' };
                 CREATE quota SET event = $event, name = $name, ticket_types = $types,
                    capacity = $capacity, available = $capacity - $held - $sold,
                    held = $held, sold = $sold, created_at = time::now();
                 CREATE event_log SET event = $event, action = 'quota_added',
                    detail = string::concat($name, ' (', <string> $capacity, ')'),
                    actor = $actor, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("name", name.to_owned()),
                    ("capacity", capacity),
                    ("ids", ticket_types.to_vec()),
                    ("actor", actor.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// A new capacity for a shared capacity of the event; false when there is none.
    pub async fn set_capacity(
        &self,
        event_id: &str,
        quota_id: &str,
        capacity: i64,
        actor: &str,
    ) -> Result<bool, DbError> {
        let outcome = self
            .0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 LET $quota = (SELECT * FROM ONLY type::record('quota', $id) WHERE event = $event);
                 IF !$quota { THROW 'no_quota' };
                 IF $quota.held + $quota.sold > $capacity { THROW 'quota_below_taken' };
                 UPDATE $quota.id SET capacity = $capacity, available = $capacity - held - sold;
                 CREATE event_log SET event = $event, action = 'quota_changed',
                    detail = string::concat($quota.name, ' (', <string> $capacity, ')'),
                    actor = $actor, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("id", quota_id.to_owned()),
                    ("capacity", capacity),
                    ("actor", actor.to_owned())
                ],
            )
            .await;
        super::committed_unless(outcome, NO_QUOTA)
    }

    /// Removes a shared capacity (its ticket types keep their own); false when none.
    pub async fn remove(
        &self,
        event_id: &str,
        quota_id: &str,
        actor: &str,
    ) -> Result<bool, DbError> {
        let outcome = self
            .0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 LET $gone = (DELETE type::record('quota', $id) WHERE event = $event RETURN BEFORE);
                 IF array::len($gone) = 0 { THROW 'no_quota' };
                 CREATE event_log SET event = $event, action = 'quota_removed',
                    detail = $gone[0].name, actor = $actor, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("id", quota_id.to_owned()),
                    ("actor", actor.to_owned())
                ],
            )
            .await;
        super::committed_unless(outcome, NO_QUOTA)
    }
}
