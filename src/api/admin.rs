use crate::domain::AdminUserRow;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn search_users(query: String) -> Result<Vec<AdminUserRow>, AppError> {
    crate::api::with_status(
        async move {
            use crate::server::{auth::guard, services::accounts, state::use_app_state};
            let state = use_app_state()?;
            guard::require_admin(&state).await?;
            accounts::search(&state.db, &query).await
        }
        .await,
    )
}

#[server]
pub async fn set_user_role(user_id: String, role: String) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            use crate::domain::Role;
            use crate::server::{auth::guard, services::accounts, state::use_app_state};
            let state = use_app_state()?;
            let admin = guard::require_admin(&state).await?;
            let role = Role::parse(&role)
                .ok_or_else(|| AppError::field("role", "Choose a role from the list."))?;
            if user_id == admin.id && role != Role::Admin {
                return Err(AppError::Validation(
                    "You cannot remove your own admin role; ask another admin.".into(),
                ));
            }
            accounts::set_role(&state.db, &user_id, role).await
        }
        .await,
    )
}
