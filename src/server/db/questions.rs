//! Table `question`: an event's questions, added and hidden (never deleted), each change
//! with its `event_log` row.
use super::{Db, DbError};
use crate::vars;
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct QuestionRecord {
    pub id: String,
    pub label: String,
    pub kind: String,
    pub options: Vec<String>,
    pub scope: String,
    pub required: bool,
    pub ticket_types: Vec<String>,
    pub hidden: bool,
}

/// A question to add.
pub struct NewQuestion<'a> {
    pub label: &'a str,
    pub kind: &'a str,
    pub options: &'a [String],
    pub scope: &'a str,
    pub required: bool,
    pub ticket_types: &'a [String],
}

const FIELDS: &str = "record::id(id) AS id, label, kind, options, scope, required,
    ticket_types, hidden ?? false AS hidden";

pub struct QuestionRepo<'a>(pub &'a Db);

impl QuestionRepo<'_> {
    /// The event's questions in the order they were added, hidden ones included.
    pub async fn of_event(&self, event_id: &str) -> Result<Vec<QuestionRecord>, DbError> {
        self.0
            .rows(
                &format!(
                    "SELECT {FIELDS}, position FROM question
                     WHERE event = type::record('event', $event) ORDER BY position"
                ),
                vars![("event", event_id.to_owned())],
            )
            .await
    }

    pub async fn add(
        &self,
        event_id: &str,
        q: NewQuestion<'_>,
        actor: &str,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $event = type::record('event', $event_id);
                 LET $last = (SELECT VALUE position FROM question WHERE event = $event
                    ORDER BY position DESC LIMIT 1)[0] ?? 0;
                 CREATE question SET event = $event, label = $label, kind = $kind,
                    options = $options, scope = $scope, required = $required,
                    ticket_types = $ticket_types, position = $last + 1, hidden = false,
                    created_at = time::now();
                 CREATE event_log SET event = $event, action = 'question_added', detail = $label,
                    actor = $actor, at = time::now();
                 COMMIT TRANSACTION;",
                vars![
                    ("event_id", event_id.to_owned()),
                    ("label", q.label.to_owned()),
                    ("kind", q.kind.to_owned()),
                    ("options", q.options.to_vec()),
                    ("scope", q.scope.to_owned()),
                    ("required", q.required),
                    ("ticket_types", q.ticket_types.to_vec()),
                    ("actor", actor.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// Hides or shows a question of the event; false when it has no such question.
    pub async fn set_hidden(
        &self,
        event_id: &str,
        question_id: &str,
        hidden: bool,
        actor: &str,
    ) -> Result<bool, DbError> {
        let flag = super::flags::Flag {
            table: "question",
            id: question_id,
            event_id,
            field: "hidden",
            on: hidden,
            actions: ("question_hidden", "question_shown"),
            detail: Some("label"),
            actor,
        };
        super::flags::switch(self.0, flag).await
    }
}
