//! The organizer's questions of an event (asked at checkout), and reading them back.
use super::managed::load_managed;
use crate::domain::question::{
    NewQuestionForm, Question, QuestionKind, QuestionRow, QuestionScope, QuestionsData,
};
use crate::error::AppError;
use crate::server::auth::session::CurrentUser;
use crate::server::db::orders::AnswerRecord;
use crate::server::db::questions::{NewQuestion, QuestionRecord, QuestionRepo};
use crate::server::state::AppState;

fn question(r: QuestionRecord) -> Result<(Question, bool), AppError> {
    let bad = || AppError::internal("a stored question is malformed");
    Ok((
        Question {
            kind: QuestionKind::parse(&r.kind).ok_or_else(bad)?,
            scope: QuestionScope::parse(&r.scope).ok_or_else(bad)?,
            id: r.id,
            label: r.label,
            options: r.options,
            required: r.required,
            ticket_types: r.ticket_types,
        },
        r.hidden,
    ))
}

/// The questions buyers of the event are asked (hidden ones are not).
pub async fn asked(state: &AppState, event_id: &str) -> Result<Vec<Question>, AppError> {
    visible(
        QuestionRepo(&state.db)
            .of_event(event_id)
            .await
            .map_err(AppError::internal)?,
    )
}

/// Of an event's stored questions, those buyers are asked.
pub fn visible(records: Vec<QuestionRecord>) -> Result<Vec<Question>, AppError> {
    let mut out = Vec::new();
    for r in records {
        let (q, hidden) = question(r)?;
        if !hidden {
            out.push(q);
        }
    }
    Ok(out)
}

/// Every question of the event, for its organizer.
pub async fn managed(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
) -> Result<QuestionsData, AppError> {
    let (event, types) = load_managed(state, user, event_id).await?;
    let rows = QuestionRepo(&state.db)
        .of_event(&event.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|r| question(r).map(|(question, hidden)| QuestionRow { question, hidden }))
        .collect::<Result<_, _>>()?;
    Ok(QuestionsData {
        rows,
        ticket_types: types.into_iter().map(|t| (t.id, t.name)).collect(),
    })
}

pub struct QuestionInput<'a> {
    pub label: &'a str,
    pub kind: &'a str,
    pub options: &'a str,
    pub scope: &'a str,
    pub required: bool,
    pub ticket_types: Vec<String>,
}

pub async fn add(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    input: QuestionInput<'_>,
) -> Result<(), AppError> {
    let (event, types) = load_managed(state, user, event_id).await?;
    let known: Vec<String> = types.into_iter().map(|t| t.id).collect();
    let form = NewQuestionForm::parse(
        input.label,
        input.kind,
        input.options,
        input.scope,
        input.required,
        input.ticket_types,
        &known,
    )?;
    QuestionRepo(&state.db)
        .add(
            &event.id,
            NewQuestion {
                label: &form.label,
                kind: form.kind.as_str(),
                options: &form.options,
                scope: form.scope.as_str(),
                required: form.required,
                ticket_types: &form.ticket_types,
            },
            &user.actor(),
        )
        .await
        .map_err(AppError::internal)?;
    // The event page shows the questions from the event cache.
    state.event_cache.clear();
    Ok(())
}

/// Hides (or shows again) a question; its answers stay.
pub async fn set_hidden(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    question_id: &str,
    hidden: bool,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    let changed = QuestionRepo(&state.db)
        .set_hidden(&event.id, question_id, hidden, &user.actor())
        .await
        .map_err(AppError::internal)?;
    if !changed {
        return Err(AppError::NotFound("question".into()));
    }
    state.event_cache.clear();
    Ok(())
}

/// The answer to question `id` of a ticket: asked for the ticket, or once for its order;
/// empty when none was given.
pub fn answer_for(id: &str, ticket: &[AnswerRecord], order: &[AnswerRecord]) -> String {
    ticket
        .iter()
        .chain(order)
        .find(|a| a.question == id)
        .map(|a| a.value.join(", "))
        .unwrap_or_default()
}

/// A ticket's answers as `(question, answer)` for reading, in the questions' order.
pub fn labelled(
    questions: &[QuestionRecord],
    ticket: &[AnswerRecord],
    order: &[AnswerRecord],
) -> Vec<(String, String)> {
    questions
        .iter()
        .map(|q| (q.label.clone(), answer_for(&q.id, ticket, order)))
        .filter(|(_, answer)| !answer.is_empty())
        .collect()
}
