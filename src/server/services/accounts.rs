//! Registering, signing in and managing one's account.
use crate::domain::{AdminUserRow, Email, NewPassword, Role};
use crate::error::AppError;
use crate::server::auth::password::{hash_password, verify_password, PasswordHash};
use crate::server::db::{Db, DbError, NewUser, SessionRepo, UserRepo};

pub struct Registration {
    pub name: String,
    pub email: Email,
    pub password: NewPassword,
    pub organizer: bool,
}

/// Creates a customer or organizer account (never an admin) and returns its id.
pub async fn register(db: &Db, registration: Registration) -> Result<String, AppError> {
    let hash = hash_password(registration.password.into_inner())
        .await
        .map_err(AppError::internal)?;
    let role = if registration.organizer {
        Role::Organizer
    } else {
        Role::Customer
    };
    let result = UserRepo(db)
        .create(NewUser {
            name: registration.name,
            email: registration.email.as_str().to_owned(),
            password_hash: Some(hash),
            role: role.as_str(),
        })
        .await;
    match result {
        Ok(id) => {
            tracing::info!(user = %id, role = role.as_str(), "account registered");
            Ok(id)
        }
        Err(DbError::Duplicate(_)) => Err(AppError::EmailTaken),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// A PHC hash of a random password: verifying against it costs the same as a real check,
/// so an unknown email takes as long as a wrong password.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$mBbB2gq1Yq1c9l8S1Yf4nA4x2xO0v0Hq9d3Jw3c1Q3M";

/// The user id for a correct email and password; the same error otherwise.
pub async fn authenticate(db: &Db, email: &str, password: String) -> Result<String, AppError> {
    let invalid =
        || AppError::Validation("That email and password do not match an account.".into());
    let Ok(email) = Email::parse(email) else {
        return Err(invalid());
    };
    let credentials = UserRepo(db)
        .find_credentials(email.as_str())
        .await
        .map_err(AppError::internal)?;
    match credentials {
        Some((id, Some(stored))) => {
            if verify_password(password, PasswordHash::from_stored(stored)).await {
                Ok(id)
            } else {
                Err(invalid())
            }
        }
        _ => {
            let _ = verify_password(password, PasswordHash::from_stored(DECOY_HASH.into())).await;
            Err(invalid())
        }
    }
}

/// Changes the password after checking the current one, and ends the user's other sessions.
pub async fn change_password(
    db: &Db,
    user_id: &str,
    email: &str,
    current: String,
    new: NewPassword,
    keep_session: &str,
) -> Result<(), AppError> {
    if authenticate(db, email, current).await.is_err() {
        return Err(AppError::field(
            "current_password",
            "That is not your current password.",
        ));
    }
    let hash = hash_password(new.into_inner())
        .await
        .map_err(AppError::internal)?;
    UserRepo(db)
        .set_password(user_id, &hash)
        .await
        .map_err(AppError::internal)?;
    SessionRepo(db)
        .delete_all_for_user(user_id, Some(keep_session))
        .await
        .map_err(AppError::internal)?;
    tracing::info!(user = %user_id, "password changed; other sessions ended");
    Ok(())
}

pub async fn set_role(db: &Db, user_id: &str, role: Role) -> Result<(), AppError> {
    UserRepo(db)
        .set_role(user_id, role.as_str())
        .await
        .map_err(AppError::internal)?;
    tracing::info!(user = %user_id, role = role.as_str(), "role changed");
    Ok(())
}

/// Users whose email or name contains `query` (case-insensitive), newest first.
pub async fn search(db: &Db, query: &str) -> Result<Vec<AdminUserRow>, AppError> {
    let query = query.trim().to_lowercase();
    let rows = UserRepo(db)
        .search(&query, 100)
        .await
        .map_err(AppError::internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(AdminUserRow {
                role: Role::parse(&row.role)?,
                joined: row.created_at.format("%-d %b %Y").to_string(),
                id: row.id,
                name: row.name,
                email: row.email,
            })
        })
        .collect())
}

/// Creates an admin, or promotes an existing account and sets its password.
pub async fn create_admin(db: &Db, email: Email, password: NewPassword) -> Result<(), AppError> {
    let existing = UserRepo(db)
        .find_by_email(email.as_str())
        .await
        .map_err(AppError::internal)?;
    match existing {
        Some(user) => {
            let hash = hash_password(password.into_inner())
                .await
                .map_err(AppError::internal)?;
            UserRepo(db)
                .set_password(&user.id, &hash)
                .await
                .map_err(AppError::internal)?;
            set_role(db, &user.id, Role::Admin).await
        }
        None => {
            let name = email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("Admin")
                .to_owned();
            let id = register(
                db,
                Registration {
                    name,
                    email,
                    password,
                    organizer: false,
                },
            )
            .await?;
            set_role(db, &id, Role::Admin).await
        }
    }
}
