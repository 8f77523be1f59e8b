//! Password reset links. Only the SHA-256 of a token is stored; a token is used once.
use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};

pub struct ResetRepo<'a>(pub &'a Db);

/// Thrown when the token is unknown, used or expired.
pub const INVALID_RESET: &str = "invalid_reset";

impl ResetRepo<'_> {
    pub async fn create(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "CREATE password_reset SET user = type::record('user', $user),
                    token_hash = $hash, expires_at = $expires, used_at = NONE",
                vars![
                    ("user", user_id.to_owned()),
                    ("hash", token_hash.to_owned()),
                    ("expires", expires_at)
                ],
            )
            .await?;
        Ok(())
    }

    /// Uses the token: sets the new password hash and ends every session of its user, in one
    /// transaction. `Rejected(INVALID_RESET)` for an unknown, used or expired token.
    pub async fn redeem(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $used = (UPDATE password_reset SET used_at = $now
                    WHERE token_hash = $hash AND used_at = NONE AND expires_at > $now
                    RETURN AFTER);
                 IF array::len($used) = 0 { THROW 'invalid_reset' };
                 LET $user = $used[0].user;
                 UPDATE $user SET password_hash = $password;
                 DELETE session WHERE user = $user;
                 DELETE password_reset WHERE user = $user AND used_at = NONE;
                 COMMIT TRANSACTION;",
                vars![
                    ("hash", token_hash.to_owned()),
                    ("password", password_hash.to_owned()),
                    ("now", now)
                ],
            )
            .await?;
        Ok(())
    }
}
