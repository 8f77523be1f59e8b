//! The organizer's questions of an event.
use crate::domain::question::QuestionsData;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn list_event_questions(event_id: String) -> Result<QuestionsData, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::questions::managed(&state, &user, &event_id).await
    })
    .await
}

/// Adds a question: `options` one per line (choices); `ticket_types` the ticked boxes
/// (none: every type).
#[server]
pub async fn add_event_question(
    event_id: String,
    label: String,
    kind: String,
    options: Option<String>,
    scope: String,
    required: Option<String>,
    ticket_types: Option<std::collections::BTreeMap<String, String>>,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::questions;
        let input = questions::QuestionInput {
            label: &label,
            kind: &kind,
            options: options.as_deref().unwrap_or_default(),
            scope: &scope,
            required: required.is_some(),
            ticket_types: ticket_types.unwrap_or_default().into_values().collect(),
        };
        questions::add(&state, &user, &event_id, input).await
    })
    .await
}

/// Hides (`hidden` = "yes") or shows a question; its answers are kept either way.
#[server]
pub async fn set_question_hidden(
    event_id: String,
    question_id: String,
    hidden: String,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::questions::set_hidden(
            &state,
            &user,
            &event_id,
            &question_id,
            hidden == "yes",
        )
        .await
    })
    .await
}
