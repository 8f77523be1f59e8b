//! The buyer corrects a ticket's name and answers, or the order's answers, until the event
//! starts; the answers are checked against the questions as for a new order.
use super::checkout::stored;
use super::views::event_of;
use super::{buyers_order, OrderAccess};
use crate::domain::question::{parse_answers, Question, QuestionScope};
use crate::domain::{parse_display_name, OrderStatus};
use crate::error::AppError;
use crate::server::db::orders::{Correction, OrderRecord, OrderRepo};
use crate::server::state::AppState;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The order and its questions, while it may be corrected.
async fn correctable(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<(OrderRecord, Vec<Question>), AppError> {
    let order = buyers_order(&state.db, access, order_id).await?;
    if order.status != OrderStatus::Paid {
        return Err(AppError::Validation(
            "Only a paid order's names and answers can be corrected.".into(),
        ));
    }
    let event = event_of(state, &order.event).await?;
    if event.starts_at <= now {
        return Err(AppError::Validation(
            "Names and answers can be corrected until the event starts.".into(),
        ));
    }
    let questions = crate::server::services::questions::asked(state, &order.event).await?;
    Ok((order, questions))
}

fn changed(done: bool) -> Result<(), AppError> {
    if done {
        Ok(())
    } else {
        Err(AppError::NotFound("ticket".into()))
    }
}

/// A ticket's holder name and its own answers (those asked for its type).
pub async fn correct_ticket(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
    reference: &str,
    name: &str,
    raw: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (_, questions) = correctable(state, access, order_id, now).await?;
    let ticket = OrderRepo(&state.db)
        .tickets_of_order(order_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .find(|t| t.reference == reference.trim())
        .ok_or_else(|| AppError::NotFound("ticket".into()))?;
    let name = parse_display_name(name).map_err(|m| AppError::field("name", m))?;
    let answers = parse_answers(
        questions
            .iter()
            .filter(|q| q.scope == QuestionScope::Attendee && q.applies_to(&ticket.type_id)),
        raw,
        |id| format!("answers[{id}]"),
    )?;
    let what = Correction::Ticket {
        reference: &ticket.reference,
        name: &name,
    };
    let done = OrderRepo(&state.db)
        .correct(order_id, what, stored(answers), &access.actor())
        .await
        .map_err(AppError::internal)?;
    changed(done)
}

/// The answers asked once for the order.
pub async fn correct_order_answers(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
    raw: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (order, questions) = correctable(state, access, order_id, now).await?;
    let answers = parse_answers(
        questions.iter().filter(|q| q.scope == QuestionScope::Order),
        raw,
        |id| format!("answers[{id}]"),
    )?;
    let done = OrderRepo(&state.db)
        .correct(
            &order.id,
            Correction::Order,
            stored(answers),
            &access.actor(),
        )
        .await
        .map_err(AppError::internal)?;
    changed(done)
}
