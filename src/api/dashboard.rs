use crate::domain::OrganizerEventRow;
use crate::error::AppError;
use leptos::prelude::*;

/// The caller's events (all events for an admin), newest first. Organizers only.
#[server]
pub async fn list_my_events() -> Result<Vec<OrganizerEventRow>, AppError> {
    crate::api::with_status(
        async move {
            use crate::domain::Role;
            use crate::server::{auth::guard, services::catalog, state::use_app_state};
            let state = use_app_state()?;
            let user = guard::require_organizer(&state).await?;
            let organizer = (user.role != Role::Admin).then_some(user.id.as_str());
            catalog::organizer_events(&state.db, organizer).await
        }
        .await,
    )
}
