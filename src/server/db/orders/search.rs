//! The organizer's view of an event's orders: search, attendees and the status log.
use super::OrderRepo;
use crate::domain::{OrderSearch, OrderStatus, TicketStatus};
use crate::server::db::outbox::EMAIL_STATUS;
use crate::server::db::DbError;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrganizerOrderRecord {
    pub id: String,
    pub reference: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: OrderStatus,
    pub tickets: i64,
    pub total_minor: i64,
    pub currency: String,
    pub late_payment_refunded: bool,
    pub created_at: DateTime<Utc>,
    pub email_status: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct AttendeeRecord {
    pub reference: String,
    pub holder_name: String,
    pub holder_email: Option<String>,
    pub answers: Vec<super::AnswerRecord>,
    pub order_answers: Vec<super::AnswerRecord>,
    pub buyer_email: String,
    pub type_name: String,
    pub status: TicketStatus,
    pub order_id: String,
    pub order_reference: String,
    pub checked_in_at: Option<chrono::DateTime<chrono::Utc>>,
    pub checked_in_by: Option<String>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct LogRecord {
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl OrderRepo<'_> {
    /// An event's orders matching a search, newest first, with their ticket email's state.
    pub async fn search_event(
        &self,
        event_id: &str,
        search: &OrderSearch,
        limit: usize,
    ) -> Result<Vec<OrganizerOrderRecord>, DbError> {
        let status = if search.status().is_some() {
            "AND status = $status"
        } else {
            ""
        };
        let sql = format!(
            "SELECT record::id(id) AS id, reference, buyer.name ?? guest_name AS buyer_name,
                buyer.email ?? guest_email AS buyer_email, status, math::sum(lines.quantity) AS tickets,
                total_minor, currency, late_payment_refunded, created_at,
                (SELECT VALUE {EMAIL_STATUS} FROM outbox WHERE purchase = $parent.id
                    ORDER BY created_at DESC LIMIT 1)[0] AS email_status
             FROM purchase WHERE event = type::record('event', $event) {status}
                AND ($text = '' OR string::contains(string::lowercase(reference), $text)
                    OR string::contains(string::lowercase(buyer.email ?? guest_email), $text)
                    OR string::contains(string::lowercase(buyer.name ?? guest_name), $text))
             ORDER BY created_at DESC LIMIT $limit"
        );
        self.0
            .rows(
                &sql,
                vars![
                    ("event", event_id.to_owned()),
                    ("status", search.status().map(|s| s.as_str().to_owned())),
                    ("text", search.text().to_owned()),
                    ("limit", limit as i64)
                ],
            )
            .await
    }

    /// An event's tickets matching a search (ticket or order reference, name, email).
    pub async fn search_attendees(
        &self,
        event_id: &str,
        search: &OrderSearch,
        limit: usize,
    ) -> Result<Vec<AttendeeRecord>, DbError> {
        self.0
            .rows(
                "SELECT reference, holder_name, holder_email, answers ?? [] AS answers,
                    purchase.answers ?? [] AS order_answers,
                    purchase.buyer.email ?? purchase.guest_email AS buyer_email,
                    ticket_type.name AS type_name, status, record::id(purchase) AS order_id,
                    purchase.reference AS order_reference, checked_in_at, checked_in_by, created_at
                 FROM ticket WHERE event = type::record('event', $event)
                    AND ($text = '' OR string::contains(string::lowercase(reference), $text)
                        OR string::contains(string::lowercase(holder_name), $text)
                        OR string::contains(string::lowercase(purchase.buyer.email ?? purchase.guest_email), $text)
                        OR string::contains(string::lowercase(purchase.reference), $text))
                 ORDER BY created_at DESC, reference ASC LIMIT $limit",
                vars![
                    ("event", event_id.to_owned()),
                    ("text", search.text().to_owned()),
                    ("limit", limit as i64)
                ],
            )
            .await
    }

    /// An order's status log, oldest first.
    pub async fn log_of(&self, order_id: &str) -> Result<Vec<LogRecord>, DbError> {
        self.0
            .rows(
                "SELECT from_status, to_status, actor, note, at FROM purchase_log
                 WHERE purchase = type::record('purchase', $id) ORDER BY at ASC",
                vars![("id", order_id.to_owned())],
            )
            .await
    }
}
