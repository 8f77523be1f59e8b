use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

/// The signed-in user behind a live session.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct SessionUserRecord {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub email_verified: bool,
    pub last_seen_at: DateTime<Utc>,
}

pub struct SessionRepo<'a>(pub &'a Db);

impl SessionRepo<'_> {
    pub async fn create(
        &self,
        key: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "CREATE type::record('session', $key) SET user = type::record('user', $user),
                    created_at = time::now(), last_seen_at = time::now(), expires_at = $expires",
                vars![
                    ("key", key.to_owned()),
                    ("user", user_id.to_owned()),
                    ("expires", expires_at)
                ],
            )
            .await?;
        Ok(())
    }

    /// The session's user if the session is neither past its absolute expiry nor idle for
    /// longer than `idle_since` allows.
    pub async fn find_live(
        &self,
        key: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<SessionUserRecord>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT record::id(user) AS user_id, user.name AS name, user.email AS email,
                    user.role AS role, user.email_verified_at != NONE AS email_verified,
                    last_seen_at
                 FROM ONLY type::record('session', $key)
                 WHERE expires_at > $now AND last_seen_at > $idle_since",
                vars![
                    ("key", key.to_owned()),
                    ("now", now),
                    ("idle_since", idle_since)
                ],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }

    pub async fn touch(&self, key: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "UPDATE type::record('session', $key) SET last_seen_at = time::now()",
                vars![("key", key.to_owned())],
            )
            .await?;
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "DELETE type::record('session', $key)",
                vars![("key", key.to_owned())],
            )
            .await?;
        Ok(())
    }

    /// Ends every session of the user except `keep` (the caller's own, when given).
    pub async fn delete_all_for_user(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "DELETE session WHERE user = type::record('user', $user)
                    AND (!$keep OR id != type::record('session', $keep))",
                vars![
                    ("user", user_id.to_owned()),
                    ("keep", keep.map(str::to_owned))
                ],
            )
            .await?;
        Ok(())
    }
}
