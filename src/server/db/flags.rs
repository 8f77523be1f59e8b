//! A yes/no setting of an event, or of one of its rows (a question, a code, a ticket type),
//! switched in one transaction with its `event_log` row.
use super::{Db, DbError};
use crate::vars;

pub struct Flag<'a> {
    /// `event`, or the table of a row that belongs to the event.
    pub table: &'static str,
    pub id: &'a str,
    pub event_id: &'a str,
    pub field: &'static str,
    pub on: bool,
    /// The `event_log` action when switched on, and when switched off.
    pub actions: (&'static str, &'static str),
    /// The row's field the log row names, if any.
    pub detail: Option<&'static str>,
    pub actor: &'a str,
}

/// False when the event has no such row.
pub async fn switch(db: &Db, flag: Flag<'_>) -> Result<bool, DbError> {
    let owner = if flag.table == "event" {
        "id = $event"
    } else {
        "event = $event"
    };
    let detail = flag.detail.map_or("''".to_owned(), |field| {
        format!("<string> $changed[0].{field}")
    });
    let sql = format!(
        "BEGIN TRANSACTION;
         LET $event = type::record('event', $event_id);
         LET $changed = (UPDATE type::record($table, $id) SET {field} = $on
            WHERE {owner} RETURN AFTER);
         IF array::len($changed) = 0 {{ THROW 'no_such_row' }};
         CREATE event_log SET event = $event, action = IF $on {{ $on_action }} ELSE {{ $off_action }},
            detail = {detail}, actor = $actor, at = time::now();
         COMMIT TRANSACTION;",
        field = flag.field
    );
    let outcome = db
        .execute(
            &sql,
            vars![
                ("event_id", flag.event_id.to_owned()),
                ("table", flag.table.to_owned()),
                ("id", flag.id.to_owned()),
                ("on", flag.on),
                ("on_action", flag.actions.0.to_owned()),
                ("off_action", flag.actions.1.to_owned()),
                ("actor", flag.actor.to_owned())
            ],
        )
        .await;
    super::committed_unless(outcome, "no_such_row")
}
