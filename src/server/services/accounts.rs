//! Registering, signing in and managing one's account.
use crate::domain::{AdminUserRow, Email, NewPassword, Role};
use crate::error::AppError;
use crate::server::auth::password::{hash_password, verify_password, PasswordHash};
use crate::server::auth::session::session_key;
use crate::server::db::resets::{ResetCap, ResetRepo, INVALID_RESET, RESET_CAP_REACHED};
use crate::server::db::verifications::{VerificationRepo, INVALID_VERIFICATION};
use crate::server::db::{Db, DbError, NewUser, SessionRepo, UserRepo};
use crate::server::email::{outbox, templates, Email as Message};
use crate::server::state::AppState;

pub struct Registration {
    pub name: String,
    pub email: Email,
    pub password: NewPassword,
    pub organizer: bool,
}

/// Creates a customer or organizer account from the registration form and sends the link
/// that confirms its address; failing to send it does not fail the registration (the
/// account page sends it again).
pub async fn register(state: &AppState, registration: Registration) -> Result<String, AppError> {
    let email = registration.email.clone();
    let name = registration.name.clone();
    let id = create_account(&state.db, registration, false).await?;
    if let Err(error) = send_verification(state, &id, &email, &name, chrono::Utc::now()).await {
        tracing::warn!(user = %id, error = %error, "could not send the email confirmation link");
    }
    Ok(id)
}

/// Creates a customer or organizer account (never an admin) and returns its id.
/// `email_verified` when someone already vouched for the address (the operator).
async fn create_account(
    db: &Db,
    registration: Registration,
    email_verified: bool,
) -> Result<String, AppError> {
    let hash = hash_password(registration.password.into_inner()).await?;
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
            email_verified,
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
    // The same cap as at registration: a megabyte-long "password" costs no more to refuse.
    if password.chars().count() > 128 {
        return Err(invalid());
    }
    let credentials = UserRepo(db)
        .find_credentials(email.as_str())
        .await
        .map_err(AppError::internal)?;
    match credentials {
        Some((id, Some(stored))) => {
            if verify_password(password, PasswordHash::from_stored(stored)).await? {
                Ok(id)
            } else {
                Err(invalid())
            }
        }
        _ => {
            verify_password(password, PasswordHash::from_stored(DECOY_HASH.into())).await?;
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
    let hash = hash_password(new.into_inner()).await?;
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
            let hash = hash_password(password.into_inner()).await?;
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
            let id = create_account(
                db,
                Registration {
                    name,
                    email,
                    password,
                    organizer: false,
                },
                true,
            )
            .await?;
            set_role(db, &id, Role::Admin).await
        }
    }
}

/// How long a password reset link works.
const RESET_VALID_MINUTES: i64 = 60;
/// How long an email confirmation link works.
const VERIFICATION_VALID_HOURS: i64 = 48;

/// A fresh link token and the SHA-256 that is all the database keeps of it.
fn new_link_token() -> (String, String) {
    let token: String = rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let hash = session_key(&token);
    (token, hash)
}

/// Sends an email carrying a secret link. Sent at once and never stored: the link must not
/// sit in the database in clear. In demo mode without a provider the dev mailbox is where
/// mail is read; otherwise, without a provider, it cannot be sent (false).
async fn send_link_email(state: &AppState, key: &str, message: &Message) -> Result<bool, AppError> {
    if state.mailer.delivers() {
        state
            .mailer
            .send(message, key)
            .await
            .map_err(AppError::internal)?;
    } else if state.dev_mailbox_open() {
        outbox::enqueue_text(state, key, message)
            .await
            .map_err(AppError::internal)?;
    } else {
        tracing::warn!("an email with a link was not sent: no email provider is configured");
        return Ok(false);
    }
    Ok(true)
}

/// Reset emails one client address, and one recipient, may be sent per hour, counted in
/// the database so every instance shares the count. Stops mail-bombing a victim's inbox
/// (and the provider's quota) through the forgotten-password form.
const RESET_CAP: ResetCap = ResetCap {
    per_client: 10,
    per_recipient: 3,
};

/// Emails a reset link when the address has an account. The caller answers the same either
/// way, so the form does not reveal who has an account (the caps count every request).
pub async fn request_password_reset(
    state: &AppState,
    email: &Email,
    client: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    match ResetRepo(&state.db)
        .count_request(client, email.as_str(), &RESET_CAP, now)
        .await
    {
        Ok(()) => {}
        Err(DbError::Rejected(code)) if code == RESET_CAP_REACHED => {
            tracing::warn!("password reset refused: hourly cap reached");
            return Err(AppError::TooManyRequests(3600));
        }
        Err(e) => return Err(AppError::internal(e)),
    }
    let Some(user) = UserRepo(&state.db)
        .find_by_email(email.as_str())
        .await
        .map_err(AppError::internal)?
    else {
        tracing::info!("password reset asked for an unknown email");
        return Ok(());
    };
    let (token, token_hash) = new_link_token();
    ResetRepo(&state.db)
        .create(
            &user.id,
            &token_hash,
            now + chrono::Duration::minutes(RESET_VALID_MINUTES),
        )
        .await
        .map_err(AppError::internal)?;
    let link = format!(
        "{}/reset-password?token={token}",
        state.settings.public_base_url
    );
    let message = templates::password_reset_email(email.as_str(), &user.name, &link);
    if send_link_email(state, &format!("password-reset/{token_hash}"), &message).await? {
        tracing::info!(user = %user.id, "password reset link sent");
    }
    Ok(())
}

/// Sends a new email confirmation link (earlier ones stop working); false when no email
/// can be sent.
pub async fn send_verification(
    state: &AppState,
    user_id: &str,
    email: &Email,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, AppError> {
    let (token, token_hash) = new_link_token();
    VerificationRepo(&state.db)
        .replace(
            user_id,
            &token_hash,
            now + chrono::Duration::hours(VERIFICATION_VALID_HOURS),
        )
        .await
        .map_err(AppError::internal)?;
    let link = format!(
        "{}/verify-email?token={token}",
        state.settings.public_base_url
    );
    let message = templates::verification_email(email.as_str(), name, &link);
    let sent = send_link_email(state, &format!("verify-email/{token_hash}"), &message).await?;
    if sent {
        tracing::info!(user = %user_id, "email confirmation link sent");
    }
    Ok(sent)
}

/// Confirms the address behind a verification link.
pub async fn verify_email(
    db: &Db,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    match VerificationRepo(db).redeem(&session_key(token.trim()), now).await {
        Ok(()) => Ok(()),
        Err(DbError::Rejected(code)) if code == INVALID_VERIFICATION => Err(AppError::Validation(
            "This confirmation link is invalid, used or expired. Sign in and ask for a new one on your account page.".into(),
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// Sets a new password with a reset token; ends every session of the account. Does not sign in.
pub async fn reset_password(
    db: &Db,
    token: &str,
    new: NewPassword,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let hash = hash_password(new.into_inner()).await?;
    let token_hash = session_key(token.trim());
    match ResetRepo(db).redeem(&token_hash, hash.as_phc(), now).await {
        Ok(()) => Ok(()),
        Err(DbError::Rejected(code)) if code == INVALID_RESET => Err(AppError::Validation(
            "This reset link is invalid, used or expired. Please ask for a new one.".into(),
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}
