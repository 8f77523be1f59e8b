//! Sales tools: the buyer's code on the event page, and the organizer's shared capacities,
//! codes and hidden ticket types.
use crate::domain::sales::{CodeOffer, SalesData};
use crate::error::AppError;
use leptos::prelude::*;

/// The event page as seen with a promo or access code.
#[server]
pub async fn get_code_offer(slug: String, code: String) -> Result<CodeOffer, AppError> {
    crate::api::serve(|state| async move {
        crate::server::services::sales::code_offer(&state, &slug, &code, chrono::Utc::now()).await
    })
    .await
}

#[server]
pub async fn get_event_sales(event_id: String) -> Result<SalesData, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::sales::sales_data(&state, &user, &event_id).await
    })
    .await
}

/// Adds a capacity shared by the ticked ticket types.
#[server]
pub async fn add_shared_capacity(
    event_id: String,
    name: String,
    capacity: String,
    ticket_types: Option<std::collections::BTreeMap<String, String>>,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        let types = ticket_types.unwrap_or_default().into_values().collect();
        crate::server::services::sales::add_quota(&state, &user, &event_id, &name, &capacity, types)
            .await
    })
    .await
}

#[server]
pub async fn set_shared_capacity(
    event_id: String,
    quota_id: String,
    capacity: String,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::sales::set_quota_capacity(
            &state, &user, &event_id, &quota_id, &capacity,
        )
        .await
    })
    .await
}

#[server]
pub async fn remove_shared_capacity(event_id: String, quota_id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::sales::remove_quota(&state, &user, &event_id, &quota_id).await
    })
    .await
}

/// The code form's fields (`fields[code]`, ...), each as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CodeFields {
    pub code: String,
    pub discount: String,
    pub amount: String,
    pub valid_from: String,
    pub valid_until: String,
    pub max_uses: String,
    pub per_order: String,
}

/// Adds a promo or access code (`discount`: none, percent or fixed).
#[server]
pub async fn add_promo_code(
    event_id: String,
    fields: CodeFields,
    ticket_types: Option<std::collections::BTreeMap<String, String>>,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        let input = crate::domain::sales::CodeInput {
            code: &fields.code,
            discount: &fields.discount,
            amount: &fields.amount,
            ticket_types: ticket_types.unwrap_or_default().into_values().collect(),
            valid_from: &fields.valid_from,
            valid_until: &fields.valid_until,
            max_uses: &fields.max_uses,
            per_order: &fields.per_order,
        };
        crate::server::services::sales::add_code(&state, &user, &event_id, input).await
    })
    .await
}

/// Switches a code off (`active` = "no") or on.
#[server]
pub async fn set_promo_code_active(
    event_id: String,
    code_id: String,
    active: String,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::sales::set_code_active(
            &state,
            &user,
            &event_id,
            &code_id,
            active == "yes",
        )
        .await
    })
    .await
}

/// Hides a ticket type (`hidden` = "yes": sold only with a code naming it) or shows it.
#[server]
pub async fn set_ticket_type_hidden(
    event_id: String,
    ticket_type_id: String,
    hidden: String,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        crate::server::services::sales::set_ticket_type_hidden(
            &state,
            &user,
            &event_id,
            &ticket_type_id,
            hidden == "yes",
        )
        .await
    })
    .await
}
