//! Guest orders joining the account of their (verified) email.
use super::OrderRepo;
use crate::server::db::DbError;
use crate::vars;

/// Gives the account `$user` the guest orders made with its email, once that email is
/// verified (never on an unverified claim to it), each with a log row.
pub const CLAIM_GUEST_ORDERS: &str = "IF $user.email_verified_at != NONE {
        FOR $claimed IN (UPDATE purchase SET buyer = $user, updated_at = time::now()
            WHERE buyer = NONE AND guest_email = $user.email RETURN AFTER) {
            CREATE purchase_log SET purchase = $claimed.id, from_status = $claimed.status,
                to_status = $claimed.status, actor = string::concat('user:', record::id($user)),
                note = 'taken over by the account with this verified email', at = time::now();
        };
    };";

impl OrderRepo<'_> {
    /// See [`CLAIM_GUEST_ORDERS`]: at sign-in, for guest orders made since.
    pub async fn claim_guest_orders(&self, user_id: &str) -> Result<(), DbError> {
        self.0
            .execute(
                &format!(
                    "BEGIN TRANSACTION;
                     LET $user = type::record('user', $user_id);
                     {CLAIM_GUEST_ORDERS}
                     COMMIT TRANSACTION;"
                ),
                vars![("user_id", user_id.to_owned())],
            )
            .await?;
        Ok(())
    }
}
