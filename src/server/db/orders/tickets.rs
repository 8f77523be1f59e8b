//! Tickets as their buyers, holders and the order pages read them.
use super::{AnswerRecord, OrderRepo};
use crate::domain::TicketStatus;
use crate::server::db::DbError;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct TicketRecord {
    pub purchase: String,
    pub event: String,
    pub type_name: String,
    pub holder_name: String,
    pub code: String,
    pub reference: String,
    pub status: TicketStatus,
    /// Grows when the ticket is re-issued; its pass carries it.
    pub issue: i64,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_in_by: Option<String>,
    pub holder_email: Option<String>,
    /// Answers asked for this ticket, and those asked once for its order.
    pub answers: Vec<AnswerRecord>,
    pub order_answers: Vec<AnswerRecord>,
    pub type_id: String,
    /// SHA-256 of the holder's own link key (see `018_holder_links`).
    pub access_keys: Vec<String>,
}

impl OrderRepo<'_> {
    pub async fn tickets_of_order(&self, id: &str) -> Result<Vec<TicketRecord>, DbError> {
        self.tickets("purchase = type::record('purchase', $value)", id)
            .await
    }

    /// The ticket of a reference (a holder's link names it).
    pub async fn ticket_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<TicketRecord>, DbError> {
        Ok(self.tickets("reference = $value", reference).await?.pop())
    }

    /// Every ticket of a buyer's paid orders, soonest event first.
    pub async fn tickets_of_buyer(&self, user_id: &str) -> Result<Vec<TicketRecord>, DbError> {
        self.tickets(
            "purchase.buyer = type::record('user', $value) AND status != 'void'",
            user_id,
        )
        .await
    }

    async fn tickets(&self, condition: &str, value: &str) -> Result<Vec<TicketRecord>, DbError> {
        let sql = format!(
            "SELECT record::id(purchase) AS purchase, record::id(event) AS event,
                ticket_type.name AS type_name, holder_name, code, reference, status,
                issue ?? 1 AS issue, checked_in_at, checked_in_by, event.starts_at AS starts_at,
                holder_email, answers ?? [] AS answers, purchase.answers ?? [] AS order_answers,
                record::id(ticket_type) AS type_id, access_keys ?? [] AS access_keys, created_at
             FROM ticket WHERE {condition} ORDER BY starts_at ASC, created_at ASC, reference ASC"
        );
        self.0.rows(&sql, vars![("value", value.to_owned())]).await
    }
}
