//! Email verification links. Only the SHA-256 of a token is stored; a token is used once,
//! and a new link replaces the user's earlier ones.
use super::orders::CLAIM_GUEST_ORDERS;
use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};

pub struct VerificationRepo<'a>(pub &'a Db);

/// Thrown when the token is unknown, used, replaced or expired.
pub const INVALID_VERIFICATION: &str = "invalid_verification";

impl VerificationRepo<'_> {
    /// Stores a new link for the user and drops the unused ones sent before it.
    pub async fn replace(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $user = type::record('user', $user_id);
                 DELETE email_verification WHERE user = $user AND used_at = NONE;
                 CREATE email_verification SET user = $user, token_hash = $hash,
                    expires_at = $expires, used_at = NONE;
                 COMMIT TRANSACTION;",
                vars![
                    ("user_id", user_id.to_owned()),
                    ("hash", token_hash.to_owned()),
                    ("expires", expires_at)
                ],
            )
            .await?;
        Ok(())
    }

    /// Uses the token and marks its user's email verified, with the log row, in one
    /// transaction. `Rejected(INVALID_VERIFICATION)` for an unknown, used or expired token.
    /// The account takes over the guest orders made with the email it just proved.
    pub async fn redeem(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
        self.0
            .execute(
                &format!(
                    "BEGIN TRANSACTION;
                 LET $used = (UPDATE email_verification SET used_at = $now
                    WHERE token_hash = $hash AND used_at = NONE AND expires_at > $now
                    RETURN AFTER);
                 IF array::len($used) = 0 {{ THROW 'invalid_verification' }};
                 LET $user = $used[0].user;
                 UPDATE $user SET email_verified_at = $now, updated_at = $now;
                 CREATE account_log SET user = $user, action = 'email_verified', at = $now;
                 {CLAIM_GUEST_ORDERS}
                 COMMIT TRANSACTION;"
                ),
                vars![("hash", token_hash.to_owned()), ("now", now)],
            )
            .await?;
        Ok(())
    }
}
