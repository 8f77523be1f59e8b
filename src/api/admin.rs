use crate::domain::{AdminUserRow, OutboxBacklog, PaymentEventRow, ReplayOutcome};
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn search_users(query: String) -> Result<Vec<AdminUserRow>, AppError> {
    crate::api::serve_as(crate::api::Caller::Admin, |state, _| async move {
        use crate::server::services::accounts;
        accounts::search(&state.db, &query).await
    })
    .await
}

#[server]
pub async fn set_user_role(user_id: String, role: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Admin, |state, admin| async move {
        use crate::domain::Role;
        use crate::server::services::accounts;
        let role = Role::parse(&role)
            .ok_or_else(|| AppError::field("role", "Choose a role from the list."))?;
        if user_id == admin.id && role != Role::Admin {
            return Err(AppError::Validation(
                "You cannot remove your own admin role; ask another admin.".into(),
            ));
        }
        accounts::set_role(&state.db, &user_id, role).await
    })
    .await
}

/// The email outbox: what waits to be sent, and whether anything can send it.
#[server]
pub async fn get_outbox_backlog() -> Result<OutboxBacklog, AppError> {
    crate::api::serve_as(crate::api::Caller::Admin, |state, _| async move {
        crate::server::email::outbox::backlog_view(&state)
            .await
            .map_err(AppError::internal)
    })
    .await
}

/// The payments inbox: Stripe events that failed or never finished processing.
#[server]
pub async fn get_payment_events() -> Result<Vec<PaymentEventRow>, AppError> {
    crate::api::serve_as(crate::api::Caller::Admin, |state, _| async move {
        crate::server::services::orders::unsettled_stripe_events(&state).await
    })
    .await
}

/// "Process again": runs a stored Stripe event through the same processing as a delivery.
#[server]
pub async fn process_payment_event(event_id: String) -> Result<ReplayOutcome, AppError> {
    crate::api::serve_as(crate::api::Caller::Admin, |state, admin| async move {
        tracing::info!(event = %event_id, by = %admin.id, "payment event processed again");
        crate::server::services::orders::replay_stripe_event(&state, &event_id).await
    })
    .await
}
