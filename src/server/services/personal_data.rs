//! Self-service data: a signed-in person downloads everything TickEx holds about them, or
//! deletes their account (personal data erased; orders keep what accounting needs).
use crate::domain::Role;
use crate::error::AppError;
use crate::server::auth::session::CurrentUser;
use crate::server::db::personal_data::{PersonalDataRepo, ORGANIZES_EVENTS};
use crate::server::db::DbError;
use crate::server::state::AppState;

/// The account's data as pretty JSON: account, orders with tickets and answers, its log.
pub async fn export(state: &AppState, user: &CurrentUser) -> Result<String, AppError> {
    let data = PersonalDataRepo(&state.db)
        .export(&user.id)
        .await
        .map_err(AppError::internal)?;
    serde_json::to_string_pretty(&data).map_err(AppError::internal)
}

/// Deletes the account once `confirmation` is its email, typed again. An admin cannot
/// (another admin changes its role first), nor can an organizer of events (they would lose
/// their owner).
pub async fn delete_account(
    state: &AppState,
    user: &CurrentUser,
    confirmation: &str,
) -> Result<(), AppError> {
    if !confirmation.trim().eq_ignore_ascii_case(&user.email) {
        return Err(AppError::field(
            "confirmation",
            "Type your account's email to confirm.",
        ));
    }
    if user.role == Role::Admin {
        return Err(AppError::Validation(
            "An admin account cannot delete itself: another admin makes it a customer first."
                .into(),
        ));
    }
    match PersonalDataRepo(&state.db).erase(&user.id).await {
        Ok(()) => {
            tracing::info!(user = %user.id, "account deleted");
            Ok(())
        }
        Err(DbError::Rejected(code)) if code == ORGANIZES_EVENTS => Err(AppError::Validation(
            "You organize events on TickEx: cancel them or ask an admin to hand them over first."
                .into(),
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}
