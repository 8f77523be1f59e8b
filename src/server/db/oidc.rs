//! `oidc_login`: a Google sign-in between leaving for Google and coming back, keyed by its
//! `state`. Single use: reading it deletes it.
use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PendingLogin {
    pub pkce_verifier: String,
    pub nonce: String,
    pub next: String,
}

pub struct OidcRepo<'a>(pub &'a Db);

impl OidcRepo<'_> {
    pub async fn begin(
        &self,
        state: &str,
        login: PendingLogin,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "CREATE type::record('oidc_login', $state) SET pkce_verifier = $verifier,
                    nonce = $nonce, next = $next, expires_at = $expires",
                vars![
                    ("state", state.to_owned()),
                    ("verifier", login.pkce_verifier),
                    ("nonce", login.nonce),
                    ("next", login.next),
                    ("expires", expires_at)
                ],
            )
            .await?;
        Ok(())
    }

    /// The pending login for `state` if it has not expired, deleted as it is read.
    pub async fn take(&self, state: &str) -> Result<Option<PendingLogin>, DbError> {
        self.0
            .first(
                "DELETE type::record('oidc_login', $state) WHERE expires_at > time::now() RETURN BEFORE",
                vars![("state", state.to_owned())],
            )
            .await
    }
}
