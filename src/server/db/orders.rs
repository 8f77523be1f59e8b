//! Orders, tickets and the inventory moves they make. Every move is one transaction with a
//! guarded update (`WHERE available >= $q`...), so no ticket type is ever oversold and
//! `available + held + sold == capacity` holds after every commit.
use super::{Db, DbError};
use crate::domain::OrderSearch;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

/// What `THROW` reports when a guarded inventory update found too little stock.
pub const SOLD_OUT: &str = "sold_out:";
/// The order was no longer in the status the transition expected.
pub const WRONG_STATUS: &str = "wrong_status";

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrderLine {
    pub ticket_type: RecordId,
    pub name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewOrder {
    pub buyer: RecordId,
    pub event: RecordId,
    pub reference: String,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub hold_expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrderRecord {
    pub id: String,
    pub buyer: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub event: String,
    pub event_organizer: String,
    pub reference: String,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub status: String,
    pub payment_ref: Option<String>,
    pub checkout_session_id: Option<String>,
    pub hold_expires_at: DateTime<Utc>,
    pub late_payment_refunded: bool,
    pub created_at: DateTime<Utc>,
}

/// A ticket to issue at fulfilment.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewTicket {
    pub ticket_type: RecordId,
    pub code: String,
    pub reference: String,
}

/// Everything `fulfil` writes besides the order's own lines.
pub struct Fulfilment<'a> {
    /// `pending`, or `expired`/`cancelled` for a late payment.
    pub from: &'a str,
    pub payment_ref: Option<String>,
    pub tickets: Vec<NewTicket>,
    pub holder: &'a str,
    /// Where the confirmation email goes.
    pub email: &'a str,
    pub actor: &'a str,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct TicketRecord {
    pub purchase: String,
    pub event: String,
    pub type_name: String,
    pub holder_name: String,
    pub code: String,
    pub reference: String,
    pub status: String,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrganizerOrderRecord {
    pub id: String,
    pub reference: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: String,
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
    pub buyer_email: String,
    pub type_name: String,
    pub status: String,
    pub order_id: String,
    pub order_reference: String,
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

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct LapsedOrder {
    pub id: String,
    pub checkout_session_id: Option<String>,
}

const ORDER_FIELDS: &str = "record::id(id) AS id, record::id(buyer) AS buyer,
    buyer.name AS buyer_name, buyer.email AS buyer_email, record::id(event) AS event,
    record::id(event.organizer) AS event_organizer, reference, lines, total_minor, currency,
    status, payment_ref, checkout_session_id, hold_expires_at, late_payment_refunded, created_at";

/// Adds a paid order (`$sale`) to the dashboard counters: its event's revenue and paid
/// orders, and the day's sales. `$sign` is 1 for a sale, -1 for its refund; `$day` its UTC day.
const COUNT_SALE_BODY: &str = "
    UPDATE $sale.event SET revenue_minor = (revenue_minor ?? 0) + $sign * $sale.total_minor,
        paid_orders = (paid_orders ?? 0) + $sign;
    UPSERT type::record('sales_day', string::concat(record::id($sale.event), '_', $day))
        SET event = $sale.event, organizer = $sale.event.organizer, day = $day,
            currency = $sale.currency,
            tickets = (tickets ?? 0) + $sign * math::sum($sale.lines.quantity),
            revenue_minor = (revenue_minor ?? 0) + $sign * $sale.total_minor;";

/// Appends to the order's status log; expects `$purchase`, `$from`, `$to`, `$actor`, `$note`.
const LOG: &str = "CREATE purchase_log SET purchase = $purchase, from_status = $from,
    to_status = $to, actor = $actor, note = $note, at = time::now();";

pub struct OrderRepo<'a>(pub &'a Db);

impl OrderRepo<'_> {
    /// Moves each line's quantity from `available` to `held` and creates the pending
    /// order, all or nothing. Throws `sold_out:<ticket type id>` for the first line short.
    pub async fn hold(&self, id: &str, order: NewOrder, actor: &str) -> Result<(), DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             FOR $line IN $order.lines {{
                LET $held = (UPDATE $line.ticket_type
                    SET available -= $line.quantity, held += $line.quantity
                    WHERE event = $order.event AND available >= $line.quantity RETURN VALUE id);
                IF array::len($held) = 0 {{
                    THROW string::concat('sold_out:', record::id($line.ticket_type))
                }};
             }};
             CREATE $purchase SET buyer = $order.buyer, event = $order.event,
                organizer = $order.event.organizer,
                reference = $order.reference, lines = $order.lines,
                total_minor = $order.total_minor, currency = $order.currency, status = 'pending',
                hold_expires_at = $order.hold_expires_at, late_payment_refunded = false,
                created_at = time::now(), updated_at = time::now();
             {LOG}
             COMMIT TRANSACTION;"
        );
        self.0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("order", order),
                    ("from", None::<String>),
                    ("to", "pending".to_owned()),
                    ("actor", actor.to_owned()),
                    ("note", None::<String>)
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn find(&self, id: &str) -> Result<Option<OrderRecord>, DbError> {
        let sql = format!("SELECT {ORDER_FIELDS} FROM type::record('purchase', $id)");
        let mut response = self.0.execute(&sql, vars![("id", id.to_owned())]).await?;
        let mut rows: Vec<OrderRecord> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(rows.pop())
    }

    pub async fn find_by_payment(&self, payment_ref: &str) -> Result<Option<OrderRecord>, DbError> {
        let sql = format!("SELECT {ORDER_FIELDS} FROM purchase WHERE payment_ref = $ref LIMIT 1");
        let mut response = self
            .0
            .execute(&sql, vars![("ref", payment_ref.to_owned())])
            .await?;
        let mut rows: Vec<OrderRecord> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(rows.pop())
    }

    pub async fn set_session(&self, id: &str, session_id: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "UPDATE type::record('purchase', $id) SET checkout_session_id = $checkout_session,
                    updated_at = time::now()",
                vars![
                    ("id", id.to_owned()),
                    ("checkout_session", session_id.to_owned())
                ],
            )
            .await?;
        Ok(())
    }

    /// Marks the order paid, turns its seats into sold ones and issues its tickets, with
    /// the confirmation email queued, in one transaction. From `pending` the seats come
    /// out of `held`; from `expired`/`cancelled` (a late payment) they must be taken from
    /// `available` again, which throws `sold_out:` when there are none.
    pub async fn fulfil(&self, id: &str, fulfilment: Fulfilment<'_>) -> Result<(), DbError> {
        let Fulfilment {
            from,
            payment_ref,
            tickets,
            holder,
            email,
            actor,
        } = fulfilment;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $paid = (UPDATE $purchase SET status = 'paid', payment_ref = $payment_ref,
                    paid_at = time::now(), updated_at = time::now()
                WHERE status = $from RETURN AFTER);
             IF array::len($paid) = 0 {{ THROW 'wrong_status' }};
             FOR $line IN $paid[0].lines {{
                LET $moved = IF $from = 'pending' {{
                    (UPDATE $line.ticket_type SET held -= $line.quantity, sold += $line.quantity
                        WHERE held >= $line.quantity RETURN VALUE id)
                }} ELSE {{
                    (UPDATE $line.ticket_type SET available -= $line.quantity, sold += $line.quantity
                        WHERE available >= $line.quantity RETURN VALUE id)
                }};
                IF array::len($moved) = 0 {{
                    THROW string::concat('sold_out:', record::id($line.ticket_type))
                }};
             }};
             FOR $ticket IN $tickets {{
                CREATE ticket SET purchase = $purchase, ticket_type = $ticket.ticket_type,
                    event = $paid[0].event, holder_name = $holder, code = $ticket.code,
                    reference = $ticket.reference, status = 'valid', created_at = time::now();
             }};
             LET $sale = $paid[0];
             LET $sign = 1;
             LET $day = time::format(time::now(), '%Y-%m-%d');
             {COUNT_SALE_BODY}
             CREATE outbox SET kind = 'tickets', recipient = $email, purchase = $purchase,
                key = string::concat('order-confirmation/', $id),
                status = 'pending', attempts = 0, next_attempt_at = time::now(),
                created_at = time::now();
             {LOG}
             COMMIT TRANSACTION;"
        );
        self.0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("from", from.to_owned()),
                    ("to", "paid".to_owned()),
                    ("payment_ref", payment_ref),
                    ("tickets", tickets),
                    ("holder", holder.to_owned()),
                    ("email", email.to_owned()),
                    ("actor", actor.to_owned()),
                    ("note", None::<String>)
                ],
            )
            .await?;
        Ok(())
    }

    /// A pending order gives its held seats back: `pending` -> `to`. False when the order
    /// was not pending (already paid, released or refunded).
    pub async fn release(
        &self,
        id: &str,
        to: &str,
        actor: &str,
        note: &str,
    ) -> Result<bool, DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $released = (UPDATE $purchase SET status = $to, updated_at = time::now()
                WHERE status = 'pending' RETURN AFTER);
             IF array::len($released) = 0 {{ THROW 'wrong_status' }};
             FOR $line IN $released[0].lines {{
                LET $moved = (UPDATE $line.ticket_type
                    SET held -= $line.quantity, available += $line.quantity
                    WHERE held >= $line.quantity RETURN VALUE id);
                IF array::len($moved) = 0 {{ THROW 'inventory_mismatch' }};
             }};
             {LOG}
             COMMIT TRANSACTION;"
        );
        let outcome = self
            .0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("from", Some("pending".to_owned())),
                    ("to", to.to_owned()),
                    ("actor", actor.to_owned()),
                    ("note", Some(note.to_owned()))
                ],
            )
            .await;
        changed(outcome)
    }

    /// A paid order is refunded: its tickets become void and their seats go back on sale.
    /// With `late`, an `expired`/`cancelled` order that was paid after its hold lapsed is
    /// marked refunded without touching stock (it holds none). False when the order was
    /// not in `from`.
    pub async fn mark_refunded(
        &self,
        id: &str,
        from: &str,
        actor: &str,
        note: &str,
    ) -> Result<bool, DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $refunded = (UPDATE $purchase SET status = 'refunded', updated_at = time::now(),
                    late_payment_refunded = $from != 'paid', refund_pending = $from != 'paid'
                WHERE status = $from RETURN AFTER);
             IF array::len($refunded) = 0 {{ THROW 'wrong_status' }};
             IF $from = 'paid' {{
                FOR $line IN $refunded[0].lines {{
                    LET $moved = (UPDATE $line.ticket_type
                        SET sold -= $line.quantity, available += $line.quantity
                        WHERE sold >= $line.quantity RETURN VALUE id);
                    IF array::len($moved) = 0 {{ THROW 'inventory_mismatch' }};
                }};
                UPDATE ticket SET status = 'void' WHERE purchase = $purchase;
                LET $sale = $refunded[0];
                LET $sign = -1;
                LET $day = time::format($sale.paid_at ?? time::now(), '%Y-%m-%d');
                {COUNT_SALE_BODY}
             }};
             {LOG}
             COMMIT TRANSACTION;"
        );
        let outcome = self
            .0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("from", from.to_owned()),
                    ("to", "refunded".to_owned()),
                    ("actor", actor.to_owned()),
                    ("note", Some(note.to_owned()))
                ],
            )
            .await;
        changed(outcome)
    }

    /// Claims the refund a late payment is owed; only one caller gets `true`.
    pub async fn claim_refund(&self, id: &str) -> Result<bool, DbError> {
        let mut response = self
            .0
            .execute(
                "UPDATE type::record('purchase', $id) SET refund_pending = false
                 WHERE refund_pending = true RETURN VALUE record::id(id)",
                vars![("id", id.to_owned())],
            )
            .await?;
        let claimed: Vec<String> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(!claimed.is_empty())
    }

    /// Gives a claimed refund back after the provider failed, for the next delivery.
    pub async fn unclaim_refund(&self, id: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "UPDATE type::record('purchase', $id) SET refund_pending = true",
                vars![("id", id.to_owned())],
            )
            .await?;
        Ok(())
    }

    /// Pending orders whose hold lapsed before `now`, oldest first.
    pub async fn lapsed(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<LapsedOrder>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT record::id(id) AS id, checkout_session_id, hold_expires_at FROM purchase
                 WHERE status = 'pending' AND hold_expires_at < $now
                 ORDER BY hold_expires_at ASC LIMIT $limit",
                vars![("now", now), ("limit", limit)],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }

    pub async fn tickets_of_order(&self, id: &str) -> Result<Vec<TicketRecord>, DbError> {
        self.tickets("purchase = type::record('purchase', $value)", id)
            .await
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
                event.starts_at AS starts_at, created_at
             FROM ticket WHERE {condition} ORDER BY starts_at ASC, created_at ASC, reference ASC"
        );
        let mut response = self
            .0
            .execute(&sql, vars![("value", value.to_owned())])
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }

    /// Paid orders of an event, to refund when it is cancelled.
    pub async fn paid_of_event(&self, event_id: &str) -> Result<Vec<String>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT VALUE record::id(id) FROM purchase
                 WHERE event = type::record('event', $event) AND status = 'paid'",
                vars![("event", event_id.to_owned())],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }

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
            "SELECT record::id(id) AS id, reference, buyer.name AS buyer_name,
                buyer.email AS buyer_email, status, math::sum(lines.quantity) AS tickets,
                total_minor, currency, late_payment_refunded, created_at,
                (SELECT VALUE IF status = 'failed' {{ string::concat('failed: ', last_error) }}
                    ELSE {{ status }} FROM outbox WHERE purchase = $parent.id
                    ORDER BY created_at DESC LIMIT 1)[0] AS email_status
             FROM purchase WHERE event = type::record('event', $event) {status}
                AND ($text = '' OR string::contains(string::lowercase(reference), $text)
                    OR string::contains(string::lowercase(buyer.email), $text)
                    OR string::contains(string::lowercase(buyer.name), $text))
             ORDER BY created_at DESC LIMIT $limit"
        );
        let mut response = self
            .0
            .execute(
                &sql,
                vars![
                    ("event", event_id.to_owned()),
                    ("status", search.status().map(|s| s.as_str().to_owned())),
                    ("text", search.text().to_owned()),
                    ("limit", limit as i64)
                ],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }

    /// An event's tickets matching a search (ticket or order reference, name, email).
    pub async fn search_attendees(
        &self,
        event_id: &str,
        search: &OrderSearch,
        limit: usize,
    ) -> Result<Vec<AttendeeRecord>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT reference, holder_name, purchase.buyer.email AS buyer_email,
                    ticket_type.name AS type_name, status, record::id(purchase) AS order_id,
                    purchase.reference AS order_reference, created_at
                 FROM ticket WHERE event = type::record('event', $event)
                    AND ($text = '' OR string::contains(string::lowercase(reference), $text)
                        OR string::contains(string::lowercase(holder_name), $text)
                        OR string::contains(string::lowercase(purchase.buyer.email), $text)
                        OR string::contains(string::lowercase(purchase.reference), $text))
                 ORDER BY created_at DESC, reference ASC LIMIT $limit",
                vars![
                    ("event", event_id.to_owned()),
                    ("text", search.text().to_owned()),
                    ("limit", limit as i64)
                ],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }

    /// An order's status log, oldest first.
    pub async fn log_of(&self, order_id: &str) -> Result<Vec<LogRecord>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT from_status, to_status, actor, note, at FROM purchase_log
                 WHERE purchase = type::record('purchase', $id) ORDER BY at ASC",
                vars![("id", order_id.to_owned())],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }
}

/// A guarded transition's outcome: false when the order was not in the expected status.
fn changed(outcome: Result<surrealdb::IndexedResults, DbError>) -> Result<bool, DbError> {
    match outcome {
        Ok(_) => Ok(true),
        Err(DbError::Rejected(code)) if code == WRONG_STATUS => Ok(false),
        Err(e) => Err(e),
    }
}

impl Db {
    pub async fn webhook_seen(&self, event_id: &str) -> Result<bool, DbError> {
        let mut response = self
            .execute(
                "SELECT VALUE true FROM type::record('webhook_event', $id)",
                vars![("id", event_id.to_owned())],
            )
            .await?;
        let seen: Vec<bool> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(!seen.is_empty())
    }

    /// Records a processed Stripe event; recording it twice is fine.
    pub async fn record_webhook(&self, event_id: &str, kind: &str) -> Result<(), DbError> {
        self.execute(
            "UPSERT type::record('webhook_event', $id) SET kind = $kind, processed_at = time::now()",
            vars![("id", event_id.to_owned()), ("kind", kind.to_owned())],
        )
        .await?;
        Ok(())
    }
}
