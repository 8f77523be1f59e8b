use crate::domain::{AdminUserRow, OutboxBacklog};
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
