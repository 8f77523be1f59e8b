//! The raw rows `tickex check` recomputes its rules from, read in one round trip.
use super::{Db, DbError};
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct LedgerRow {
    pub id: String,
    pub name: String,
    pub capacity: i64,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
}

/// A shared capacity and the ticket types in it.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct QuotaLedgerRow {
    pub id: String,
    pub name: String,
    pub capacity: i64,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
    pub members: Vec<String>,
}

/// A code's use counter, its limit, and the orders that count as its uses.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CodeUseRow {
    pub code: String,
    pub uses: i64,
    pub max_uses: Option<i64>,
    pub orders: i64,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CountRow {
    pub key: String,
    pub n: i64,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PendingLine {
    pub ticket_type: String,
    pub quantity: i64,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PaidOrderRow {
    pub reference: String,
    pub seats: i64,
    pub tickets: i64,
    pub emails: i64,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct LapsedRow {
    pub reference: String,
    pub hold_expires_at: DateTime<Utc>,
}

pub struct CheckRows {
    pub ledgers: Vec<LedgerRow>,
    pub issued: Vec<CountRow>,
    pub pending: Vec<PendingLine>,
    pub paid: Vec<PaidOrderRow>,
    pub codes: Vec<CountRow>,
    pub lapsed: Vec<LapsedRow>,
    pub quotas: Vec<QuotaLedgerRow>,
    pub code_uses: Vec<CodeUseRow>,
}

pub struct CheckRepo<'a>(pub &'a Db);

impl CheckRepo<'_> {
    /// Everything the rules need; `cutoff`: pending orders whose hold lapsed before it.
    pub async fn read(&self, cutoff: DateTime<Utc>) -> Result<CheckRows, DbError> {
        let mut response = self
            .0
                .execute(
                "SELECT record::id(id) AS id, name, capacity, available, held, sold FROM ticket_type;
                 SELECT record::id(ticket_type) AS key, count() AS n FROM ticket
                    WHERE status IN ['valid', 'checked_in'] GROUP BY key;
                 SELECT record::id(ticket_type) AS ticket_type, quantity
                    FROM array::concat(
                        array::flatten((SELECT VALUE lines FROM purchase WHERE status = 'pending')),
                        (SELECT ticket_type, 1 AS quantity FROM waitlist_entry WHERE status = 'offered'));
                 SELECT reference, math::sum(lines.quantity) AS seats,
                    array::len((SELECT VALUE id FROM ticket
                        WHERE purchase = $parent.id AND status != 'void')) AS tickets,
                    array::len((SELECT VALUE id FROM outbox WHERE purchase = $parent.id)) AS emails
                 FROM purchase WHERE status = 'paid';
                 SELECT code AS key, count() AS n FROM ticket GROUP BY key;
                 SELECT reference, hold_expires_at FROM purchase
                    WHERE status = 'pending' AND hold_expires_at < $cutoff;
                 SELECT record::id(id) AS id, name, capacity, available, held, sold,
                    ticket_types.map(|$t| record::id($t)) AS members FROM quota;
                 SELECT code, uses, max_uses,
                    array::len((SELECT VALUE id FROM purchase WHERE promo_code = $parent.id
                        AND (status IN ['pending', 'paid']
                            OR (status = 'refunded' AND !late_payment_refunded)))) AS orders
                 FROM promo_code;",
                vars![("cutoff", cutoff)],
            )
            .await?;
        Ok(CheckRows {
            ledgers: response.take(0).map_err(DbError::from_surreal)?,
            issued: response.take(1).map_err(DbError::from_surreal)?,
            pending: response.take(2).map_err(DbError::from_surreal)?,
            paid: response.take(3).map_err(DbError::from_surreal)?,
            codes: response.take(4).map_err(DbError::from_surreal)?,
            lapsed: response.take(5).map_err(DbError::from_surreal)?,
            quotas: response.take(6).map_err(DbError::from_surreal)?,
            code_uses: response.take(7).map_err(DbError::from_surreal)?,
        })
    }
}
