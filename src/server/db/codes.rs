//! Table `promo_code`: an event's promo and access codes, added and switched off or on
//! (never deleted: orders name them), each change with its `event_log` row. Their `uses`
//! move with the orders, in the order transactions (`USE_CODE`, `GIVE_CODE_BACK`).
use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CodeRecord {
    pub id: String,
    pub code: String,
    pub discount_kind: String,
    pub discount_value: i64,
    pub ticket_types: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub per_order: Option<i64>,
    pub uses: i64,
    pub active: bool,
}

/// A code to add.
pub struct NewCode<'a> {
    pub code: &'a str,
    pub discount: (&'a str, i64),
    pub ticket_types: &'a [String],
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub per_order: Option<i64>,
}

/// The code was used up, switched off or out of its window when the order took it.
pub const CODE_UNUSABLE: &str = "code_unusable";

/// Takes one use of the order's code (`$order.promo_code`), if it has one: guarded by the
/// code's limit, state and window, throws `code_unusable` otherwise.
pub const USE_CODE: &str = "
    IF $order.promo_code {
        LET $used = (UPDATE $order.promo_code SET uses += 1
            WHERE active AND (max_uses = NONE OR uses < max_uses)
                AND (valid_from = NONE OR valid_from <= time::now())
                AND (valid_until = NONE OR valid_until > time::now())
            RETURN VALUE id);
        IF array::len($used) = 0 { THROW 'code_unusable' };
    };";

/// Gives the use of `$code` back (a pending order that expired or was cancelled).
pub const GIVE_CODE_BACK: &str = "
    IF $code {
        LET $back = (UPDATE $code SET uses -= 1 WHERE uses > 0 RETURN VALUE id);
        IF array::len($back) = 0 { THROW 'inventory_mismatch:promo_code' };
    };";

/// A late payment takes its code's use again, as long as the limit allows; throws
/// `sold_out:promo_code:<id>` (the payment is refunded) when it does not.
pub const RETAKE_CODE: &str = "
    IF $code {
        LET $retaken = (UPDATE $code SET uses += 1
            WHERE max_uses = NONE OR uses < max_uses RETURN VALUE id);
        IF array::len($retaken) = 0 {
            THROW string::concat('sold_out:promo_code:', record::id($code))
        };
    };";

const FIELDS: &str = "record::id(id) AS id, code, discount_kind, discount_value,
    ticket_types.map(|$t| record::id($t)) AS ticket_types, valid_from, valid_until, max_uses,
    per_order, uses, active";

pub struct CodeRepo<'a>(pub &'a Db);

impl CodeRepo<'_> {
    pub async fn of_event(&self, event_id: &str) -> Result<Vec<CodeRecord>, DbError> {
        self.0
            .rows(
                &format!(
                    "SELECT {FIELDS}, created_at FROM promo_code
                     WHERE event = type::record('event', $event) ORDER BY created_at, code"
                ),
                vars![("event", event_id.to_owned())],
            )
            .await
    }

    /// The event's code `code` (already upper-cased), switched off or not.
    pub async fn find(&self, event_id: &str, code: &str) -> Result<Option<CodeRecord>, DbError> {
        self.0
            .first(
                &format!(
                    "SELECT {FIELDS} FROM promo_code
                     WHERE event = type::record('event', $event) AND code = $code"
                ),
                vars![("event", event_id.to_owned()), ("code", code.to_owned())],
            )
            .await
    }

    /// `Duplicate` when the event has the code already.
    pub async fn create(
        &self,
        event_id: &str,
        code: NewCode<'_>,
        actor: &str,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 CREATE promo_code SET event = $event, code = $code, discount_kind = $kind,
                    discount_value = $value,
                    ticket_types = (SELECT VALUE id FROM ticket_type
                        WHERE event = $event AND record::id(id) IN $types),
                    valid_from = $valid_from, valid_until = $valid_until, max_uses = $max_uses,
                    per_order = $per_order, uses = 0, active = true, created_at = time::now();
                 CREATE event_log SET event = $event, action = 'code_added', detail = $code,
                    actor = $actor, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("code", code.code.to_owned()),
                    ("kind", code.discount.0.to_owned()),
                    ("value", code.discount.1),
                    ("types", code.ticket_types.to_vec()),
                    ("valid_from", code.valid_from),
                    ("valid_until", code.valid_until),
                    ("max_uses", code.max_uses),
                    ("per_order", code.per_order),
                    ("actor", actor.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// Switches a code off (no new order may use it) or on again; false when none.
    pub async fn set_active(
        &self,
        event_id: &str,
        code_id: &str,
        active: bool,
        actor: &str,
    ) -> Result<bool, DbError> {
        let flag = super::flags::Flag {
            table: "promo_code",
            id: code_id,
            event_id,
            field: "active",
            on: active,
            actions: ("code_on", "code_off"),
            detail: Some("code"),
            actor,
        };
        super::flags::switch(self.0, flag).await
    }

    /// Shows or hides a ticket type: hidden, only a code that names it reveals it.
    pub async fn set_hidden(
        &self,
        event_id: &str,
        ticket_type_id: &str,
        hidden: bool,
        actor: &str,
    ) -> Result<bool, DbError> {
        let flag = super::flags::Flag {
            table: "ticket_type",
            id: ticket_type_id,
            event_id,
            field: "hidden",
            on: hidden,
            actions: ("ticket_type_hidden", "ticket_type_shown"),
            detail: Some("name"),
            actor,
        };
        super::flags::switch(self.0, flag).await
    }
}
