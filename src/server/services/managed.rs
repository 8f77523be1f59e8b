//! The event an organizer (or an admin) manages, read once for the services that change it.
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::CurrentUser;
use crate::server::db::events::{EventRecord, TicketTypeRecord};
use crate::server::db::EventRepo;
use crate::server::state::AppState;

pub(super) async fn load_managed(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(EventRecord, Vec<TicketTypeRecord>), AppError> {
    let found = EventRepo(&state.db)
        .find_by_id(id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    if !may_manage(user, &found.0.organizer) {
        // Someone else's event: refuse without saying whether it exists.
        return Err(if user.role.can_organize() {
            AppError::Forbidden
        } else {
            AppError::NotFound("event".into())
        });
    }
    Ok(found)
}
