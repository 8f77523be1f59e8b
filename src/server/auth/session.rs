//! Sessions: a random 256-bit token in an HttpOnly cookie; the database keeps only its
//! SHA-256. Idle and absolute expiry come from settings.
use crate::domain::Role;
use crate::server::config::Settings;
use crate::server::db::orders::OrderRepo;
use crate::server::db::{Db, DbError, SessionRepo};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "tickex_session";

/// Who is signed in, as the server sees it.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub email_verified: bool,
    /// The hashed key of the session this request came with.
    pub session_key: String,
}

impl CurrentUser {
    /// Who did it, as logs record it: `user:<id>`.
    pub fn actor(&self) -> String {
        format!("user:{}", self.id)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new 256-bit random token, as 64 hex characters (sessions, door device links).
pub fn new_token() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// What the database keeps of a token: its SHA-256.
pub fn session_key(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Starts a session and returns the cookie token (never stored). A verified account takes
/// over the guest orders made with its email since it last signed in.
pub async fn start(db: &Db, settings: &Settings, user_id: &str) -> Result<String, DbError> {
    let token = new_token();
    let expires_at = Utc::now() + Duration::seconds(settings.session_absolute_secs);
    SessionRepo(db)
        .create(&session_key(&token), user_id, expires_at)
        .await?;
    // Signing in must not fail over it: the next sign-in or verification tries again.
    if let Err(e) = OrderRepo(db).claim_guest_orders(user_id).await {
        tracing::warn!(user = user_id, error = %e, "guest orders not taken over");
    }
    Ok(token)
}

/// Ends one session (sign-out).
pub async fn end(db: &Db, session_key: &str) -> Result<(), DbError> {
    SessionRepo(db).delete(session_key).await
}

/// Ends every session of a user (sign out everywhere).
pub async fn end_all(db: &Db, user_id: &str) -> Result<(), DbError> {
    SessionRepo(db).delete_all_for_user(user_id, None).await
}

/// The user of a live session; refreshes its idle timer at most once a minute.
pub async fn resolve(
    db: &Db,
    settings: &Settings,
    token: &str,
) -> Result<Option<CurrentUser>, DbError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let key = session_key(token);
    let now = Utc::now();
    let idle_since = now - Duration::seconds(settings.session_idle_secs);
    let Some(record) = SessionRepo(db).find_live(&key, now, idle_since).await? else {
        return Ok(None);
    };
    if now - record.last_seen_at > Duration::minutes(1) {
        SessionRepo(db).touch(&key).await?;
    }
    let Some(role) = Role::parse(&record.role) else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        id: record.user_id,
        name: record.name,
        email: record.email,
        role,
        email_verified: record.email_verified,
        session_key: key,
    }))
}

/// The `Set-Cookie` value that stores `token`, or clears the cookie when `None`.
pub fn cookie(settings: &Settings, token: Option<&str>) -> String {
    let secure = if settings.is_https() { "; Secure" } else { "" };
    match token {
        Some(token) => format!(
            "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            settings.session_absolute_secs
        ),
        None => format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// Reads the session token from a `Cookie` header.
pub fn token_from_cookies(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let mut settings = Settings::for_tests();
        let set = cookie(&settings, Some("abc"));
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
        assert!(!set.contains("Secure"));
        settings.public_base_url = "https://tickets.example.com".into();
        assert!(cookie(&settings, Some("abc")).ends_with("; Secure"));
        assert!(cookie(&settings, None).contains("Max-Age=0"));
    }

    #[test]
    fn reads_the_token_among_other_cookies() {
        assert_eq!(
            token_from_cookies("a=1; tickex_session=deadbeef; b=2"),
            Some("deadbeef")
        );
        assert_eq!(token_from_cookies("tickex_session="), None);
        assert_eq!(token_from_cookies("other=1"), None);
    }

    #[test]
    fn stored_key_is_not_the_token() {
        let key = session_key("token");
        assert_eq!(key.len(), 64);
        assert_ne!(key, "token");
    }
}
