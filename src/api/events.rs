use crate::domain::{EventDetail, EventSummary};
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn list_upcoming_events() -> Result<Vec<EventSummary>, AppError> {
    use crate::server::{services::catalog, state::use_app_state};
    let state = use_app_state()?;
    catalog::upcoming_events(&state.db, chrono::Utc::now()).await
}

#[server]
pub async fn get_event(slug: String) -> Result<EventDetail, AppError> {
    use crate::server::{services::catalog, state::use_app_state};
    let state = use_app_state()?;
    let slug = slug.trim().to_ascii_lowercase();
    if slug.is_empty() || slug.len() > 100 {
        return Err(AppError::NotFound("event".into()));
    }
    catalog::event_detail(&state.db, &slug, chrono::Utc::now()).await
}
