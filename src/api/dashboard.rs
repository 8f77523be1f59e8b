use crate::error::AppError;
use leptos::prelude::*;

/// The dashboard: the caller's own numbers; an admin sees the platform, or one organizer's.
#[server]
pub async fn get_dashboard(
    organizer: Option<String>,
) -> Result<crate::domain::dashboard::DashboardData, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::domain::Role;
        use crate::server::services::dashboard;
        let (scope, label) = match (user.role, organizer.filter(|o| !o.is_empty())) {
            (Role::Admin, Some(organizer)) => {
                (Some(organizer.clone()), format!("Organizer {organizer}"))
            }
            (Role::Admin, None) => (None, "All of TickEx".to_owned()),
            _ => (Some(user.id.clone()), "Your events".to_owned()),
        };
        dashboard::dashboard(&state, scope.as_deref(), label, chrono::Utc::now()).await
    })
    .await
}
