//! Everything TickEx holds about one account, and erasing it. The export reads; the erasure
//! is one transaction with its `account_log` row.
use super::{Db, DbError};
use crate::vars;
use surrealdb::types::Value;

/// The account still organizes events: they would lose their organizer.
pub const ORGANIZES_EVENTS: &str = "organizes_events";

pub struct PersonalDataRepo<'a>(pub &'a Db);

impl PersonalDataRepo<'_> {
    /// The account, its orders with their tickets and answers, and its account log, as one
    /// JSON-like value.
    pub async fn export(&self, user_id: &str) -> Result<serde_json::Value, DbError> {
        let mut response = self
            .0
            .execute(
                "LET $user = type::record('user', $user_id);
                 RETURN {
                    account: (SELECT name, email, role, created_at, email_verified_at,
                        google_sub != NONE AS google_linked FROM ONLY $user),
                    orders: (SELECT reference, event.title AS event, status, total_minor,
                        currency, created_at, paid_at, attendees ?? [] AS attendees,
                        answers ?? [] AS answers,
                        (SELECT reference, holder_name, holder_email, ticket_type.name AS type,
                            status, answers ?? [] AS answers, checked_in_at
                         FROM ticket WHERE purchase = $parent.id) AS tickets
                        FROM purchase WHERE buyer = $user ORDER BY created_at),
                    account_log: (SELECT action, at FROM account_log WHERE user = $user
                        ORDER BY at)
                 };",
                vars![("user_id", user_id.to_owned())],
            )
            .await?;
        let value: Option<Value> = response.take(1).map_err(DbError::from_surreal)?;
        value
            .map(Value::into_json_value)
            .ok_or_else(|| DbError::Query("no export".into()))
    }

    /// Erases the account's personal data: name, email, password, Google link, sessions;
    /// on its orders the holders' names, emails and every answer, and the addresses its
    /// emails went to (unsent ones are cancelled). Orders keep amounts,
    /// dates, references and statuses; tickets stay (so seats stay sold). Refused with
    /// [`ORGANIZES_EVENTS`] while the account organizes events.
    pub async fn erase(&self, user_id: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $user = type::record('user', $user_id);
                 IF array::len((SELECT VALUE id FROM event WHERE organizer = $user LIMIT 1)) > 0 {
                    THROW 'organizes_events'
                 };
                 UPDATE $user SET name = 'Deleted account',
                    email = string::concat('deleted-', record::id($user), '@deleted.invalid'),
                    password_hash = NONE, google_sub = NONE, email_verified_at = NONE,
                    deleted_at = time::now(), updated_at = time::now();
                 DELETE session WHERE user = $user;
                 LET $orders = (SELECT VALUE id FROM purchase WHERE buyer = $user);
                 UPDATE purchase SET guest_name = NONE, guest_email = NONE, answers = [],
                    attendees = attendees.map(|$a| { name: 'Deleted', email: NONE, answers: [] }),
                    access_keys = [] WHERE id IN $orders;
                 UPDATE ticket SET holder_name = 'Deleted', holder_email = NONE, answers = [],
                    access_keys = []
                    WHERE purchase IN $orders;
                 UPDATE outbox SET status = 'cancelled', last_error = 'account deleted'
                    WHERE purchase IN $orders AND status IN ['pending', 'failed'];
                 UPDATE outbox SET recipient = 'erased', link_key = NONE WHERE purchase IN $orders;
                 CREATE account_log SET user = $user, action = 'deleted', at = time::now();
                 COMMIT TRANSACTION;",
                vars![("user_id", user_id.to_owned())],
            )
            .await?;
        Ok(())
    }
}
