//! Password reset links. Only the SHA-256 of a token is stored; a token is used once.
use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};

pub struct ResetRepo<'a>(pub &'a Db);

/// Thrown when the token is unknown, used or expired.
pub const INVALID_RESET: &str = "invalid_reset";
/// Thrown when a client or a recipient has had its share of reset emails this hour.
pub const RESET_CAP_REACHED: &str = "reset_cap_reached";

/// How many reset requests the last hour may hold.
pub struct ResetCap {
    pub per_client: i64,
    pub per_recipient: i64,
}

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

    /// Counts one reset request against the caps of the last hour, in one transaction with
    /// the check (instances share it). `Rejected(RESET_CAP_REACHED)` when over either cap.
    pub async fn count_request(
        &self,
        client: &str,
        recipient: &str,
        cap: &ResetCap,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $since = $now - 1h;
                 DELETE reset_request WHERE at <= $since;
                 LET $by_client = count(SELECT VALUE id FROM reset_request
                    WHERE client = $client AND at > $since);
                 LET $by_recipient = count(SELECT VALUE id FROM reset_request
                    WHERE recipient = $recipient AND at > $since);
                 IF $by_client >= $per_client OR $by_recipient >= $per_recipient {
                    THROW 'reset_cap_reached'
                 };
                 CREATE reset_request SET client = $client, recipient = $recipient, at = $now;
                 COMMIT TRANSACTION;",
                vars![
                    ("client", client.to_owned()),
                    ("recipient", recipient.to_owned()),
                    ("per_client", cap.per_client),
                    ("per_recipient", cap.per_recipient),
                    ("now", now)
                ],
            )
            .await?;
        Ok(())
    }
}
