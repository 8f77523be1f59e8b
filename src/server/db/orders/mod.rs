//! Orders, tickets and the inventory moves they make. Every move is one transaction with a
//! guarded update (`WHERE available >= $q`...), so no ticket type is ever oversold and
//! `available + held + sold == capacity` holds after every commit.
use super::codes::{GIVE_CODE_BACK, RETAKE_CODE, USE_CODE};
use super::ledger::MOVE_SEATS;
use super::outbox::{QUEUE_ORDER_EMAIL, QUEUE_TICKET_EMAIL};
use super::{Db, DbError};
use crate::domain::OrderStatus;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

/// What `THROW` reports when a guarded inventory update found too little stock, followed
/// by `ticket_type:<id>` or `quota:<id>` of the ledger short.
pub const SOLD_OUT: &str = "sold_out:";
/// The buyer already has as many orders waiting for payment at this event as allowed.
pub const TOO_MANY_PENDING: &str = "too_many_pending";
/// A waiting-list offer was taken, withdrawn or ran out before the order took it.
pub const OFFER_GONE: &str = "offer_gone";
/// People wait for the ticket type: its free seats go to them first.
pub const WAITLIST_FIRST: &str = "waitlist_first:";
/// The order was no longer in the status the transition expected.
pub const WRONG_STATUS: &str = "wrong_status";
/// A payment arrived for an order of an event that was cancelled meanwhile.
pub const EVENT_CANCELLED: &str = "event_cancelled";

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrderLine {
    pub ticket_type: RecordId,
    pub name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    /// The price before the order's code, on a line the code lowered.
    pub list_price_minor: Option<i64>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewOrder {
    /// The account, or none for a guest (then `guest_name` and `guest_email`).
    pub buyer: Option<RecordId>,
    pub guest_name: Option<String>,
    pub guest_email: Option<String>,
    /// SHA-256 of the key the buyer's browser gets in its links.
    pub access_key: String,
    pub attendees: Vec<Attendee>,
    /// Answers to the questions asked once per order.
    pub answers: Vec<AnswerRecord>,
    pub event: RecordId,
    pub reference: String,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub hold_expires_at: DateTime<Utc>,
    /// The promo or access code the order uses (one of its uses).
    pub promo_code: Option<RecordId>,
    /// The waiting-list offer whose held seat the order takes, and the SHA-256 of the
    /// offer link's key.
    pub waitlist_entry: Option<RecordId>,
    pub offer_key: Option<String>,
}

/// A ticket's holder as given at checkout, with the answers asked per ticket.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct Attendee {
    pub name: String,
    pub email: Option<String>,
    pub answers: Vec<AnswerRecord>,
}

/// An answer as stored: the question's id and the value(s).
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct AnswerRecord {
    pub question: String,
    pub value: Vec<String>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct OrderRecord {
    pub id: String,
    /// The buyer's account; none for a guest's order.
    pub buyer: Option<String>,
    pub buyer_name: String,
    pub buyer_email: String,
    pub event: String,
    pub event_organizer: String,
    pub reference: String,
    pub lines: Vec<OrderLine>,
    pub total_minor: i64,
    pub currency: String,
    pub status: OrderStatus,
    pub payment_ref: Option<String>,
    pub checkout_session_id: Option<String>,
    pub hold_expires_at: DateTime<Utc>,
    pub late_payment_refunded: bool,
    /// Refunded in part at the provider so far (a full refund makes the order `refunded`).
    pub refunded_minor: i64,
    /// Its event was cancelled: nothing of it may be fulfilled any more.
    pub event_cancelled: bool,
    /// SHA-256 of the keys that open the order by its link.
    pub access_keys: Vec<String>,
    pub attendees: Vec<Attendee>,
    /// Answers to the questions asked once per order.
    pub answers: Vec<AnswerRecord>,
    pub created_at: DateTime<Utc>,
}

/// A ticket to issue at fulfilment.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct NewTicket {
    pub ticket_type: RecordId,
    pub code: String,
    pub reference: String,
    pub holder_name: String,
    /// Where this ticket is sent on its own (an attendee's email), besides the buyer's.
    pub holder_email: Option<String>,
    pub answers: Vec<AnswerRecord>,
    /// The key of the holder's own link and its SHA-256, when the ticket is emailed to
    /// its holder apart from the buyer.
    pub holder_key: Option<String>,
    pub holder_hash: Option<String>,
}

/// Everything `fulfil` writes besides the order's own lines.
pub struct Fulfilment<'a> {
    /// `pending`, or `expired`/`cancelled` for a late payment.
    pub from: OrderStatus,
    pub payment_ref: Option<String>,
    pub tickets: Vec<NewTicket>,
    /// Where the confirmation email goes.
    pub email: &'a str,
    /// A new key for the order's link in that email, and its SHA-256 (which joins the
    /// order's keys).
    pub link_key: &'a str,
    pub link_hash: String,
    pub actor: &'a str,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PendingOrder {
    pub id: String,
    pub checkout_session_id: Option<String>,
    pub hold_expires_at: DateTime<Utc>,
}

const ORDER_FIELDS: &str = "record::id(id) AS id,
    IF buyer { record::id(buyer) } ELSE { NONE } AS buyer,
    buyer.name ?? guest_name AS buyer_name, buyer.email ?? guest_email AS buyer_email,
    record::id(event) AS event,
    record::id(event.organizer) AS event_organizer, reference, lines, total_minor, currency,
    status, payment_ref, checkout_session_id, hold_expires_at, late_payment_refunded,
    refunded_minor ?? 0 AS refunded_minor, event.status = 'cancelled' AS event_cancelled,
    access_keys ?? [] AS access_keys, attendees ?? [] AS attendees, answers ?? [] AS answers,
    created_at";

/// Adds a paid order (`$sale`) to the dashboard counters: its event's revenue and paid
/// orders, and the day's sales. `$sign` is 1 for a sale, -1 for its refund; `$day` its UTC day.
/// What was refunded in part before (`refunded_minor`) already left the revenue.
const COUNT_SALE_BODY: &str = "
    UPDATE $sale.event SET revenue_minor = (revenue_minor ?? 0)
            + $sign * ($sale.total_minor - ($sale.refunded_minor ?? 0)),
        paid_orders = (paid_orders ?? 0) + $sign;
    UPSERT type::record('sales_day', string::concat(record::id($sale.event), '_', $day))
        SET event = $sale.event, organizer = $sale.event.organizer, day = $day,
            currency = $sale.currency,
            tickets = (tickets ?? 0) + $sign * math::sum($sale.lines.quantity),
            revenue_minor = (revenue_minor ?? 0)
                + $sign * ($sale.total_minor - ($sale.refunded_minor ?? 0));";

/// Gives the ticket email just queued under `$key` a new key of the order's link
/// (`$link_key`; its SHA-256 `$link_hash` joins the order's keys). Expects `$purchase`.
const GIVE_LINK_KEY: &str =
    "UPDATE $purchase SET access_keys = array::union(access_keys ?? [], [$link_hash]);
    UPDATE outbox SET link_key = $link_key WHERE key = $key;";

/// Appends to the order's status log; expects `$purchase`, `$from`, `$to`, `$actor`, `$note`.
const LOG: &str = "CREATE purchase_log SET purchase = $purchase, from_status = $from,
    to_status = $to, actor = $actor, note = $note, at = time::now();";

mod claims;
mod corrections;
mod emails;
mod refunds;
mod search;
mod tickets;
mod transfers;

pub use claims::CLAIM_GUEST_ORDERS;
pub use corrections::Correction;
pub use emails::{SendAgain, TOO_SOON};
pub use refunds::{OwedRefund, Refund, RefundNotice, UnsettledOrder};
pub use search::{AttendeeRecord, LogRecord, OrganizerOrderRecord};
pub use tickets::TicketRecord;
pub use transfers::{Transfer, TRANSFER_RACED};

pub struct OrderRepo<'a>(pub &'a Db);

impl OrderRepo<'_> {
    /// Moves each line's quantity from `available` to `held` and creates the pending
    /// order, all or nothing. Throws `sold_out:<ticket type id>` for the first line short,
    /// and `too_many_pending` when the buyer already holds `max_pending` unpaid orders for
    /// this event (so one account cannot hold an event's stock hostage).
    pub async fn hold(
        &self,
        id: &str,
        order: NewOrder,
        max_pending: i64,
        actor: &str,
    ) -> Result<(), DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $pending = (SELECT VALUE id FROM purchase
                WHERE event = $order.event AND status = 'pending' AND (IF $order.buyer
                    {{ buyer = $order.buyer }} ELSE {{ guest_email = $order.guest_email }}));
             IF array::len($pending) >= $max_pending {{ THROW 'too_many_pending' }};
             IF $order.waitlist_entry {{
                -- The seat was held for this offer: the order takes it over.
                LET $claimed = (UPDATE $order.waitlist_entry SET status = 'ordered',
                        purchase = $purchase
                    WHERE status = 'offered' AND offer_key = $order.offer_key
                        AND offer_expires_at > time::now()
                        AND ticket_type = $order.lines[0].ticket_type RETURN VALUE id);
                IF array::len($claimed) = 0 OR array::len($order.lines) != 1
                    OR $order.lines[0].quantity != 1 {{ THROW 'offer_gone' }};
             }} ELSE {{
                FOR $line IN $order.lines {{
                    IF $line.ticket_type.event != $order.event {{
                        THROW string::concat('sold_out:ticket_type:', record::id($line.ticket_type))
                    }};
                    -- Seats that come back go to the waiting list first.
                    IF array::len((SELECT VALUE id FROM waitlist_entry
                        WHERE ticket_type = $line.ticket_type AND status = 'waiting' LIMIT 1)) > 0 {{
                        THROW string::concat('waitlist_first:', record::id($line.ticket_type))
                    }};
                    LET $seat_type = $line.ticket_type;
                    LET $quantity = $line.quantity;
                    LET $seats_from = 'available';
                    LET $seats_to = 'held';
                    LET $short = 'sold_out:';
                    {MOVE_SEATS}
                }};
             }};
             {USE_CODE}
             CREATE $purchase SET buyer = $order.buyer, guest_name = $order.guest_name,
                promo_code = $order.promo_code, waitlist_entry = $order.waitlist_entry,
                guest_email = $order.guest_email, access_keys = [$order.access_key],
                attendees = $order.attendees, answers = $order.answers, event = $order.event,
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
                    ("max_pending", max_pending),
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
        self.0.first(&sql, vars![("id", id.to_owned())]).await
    }

    pub async fn find_by_payment(&self, payment_ref: &str) -> Result<Option<OrderRecord>, DbError> {
        let sql = format!("SELECT {ORDER_FIELDS} FROM purchase WHERE payment_ref = $ref LIMIT 1");
        self.0
            .first(&sql, vars![("ref", payment_ref.to_owned())])
            .await
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
            email,
            link_key,
            link_hash,
            actor,
        } = fulfilment;
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $paid = (UPDATE $purchase SET status = 'paid', payment_ref = $payment_ref,
                    paid_at = time::now(), updated_at = time::now()
                WHERE status = $from RETURN AFTER);
             IF array::len($paid) = 0 {{ THROW 'wrong_status' }};
             IF $paid[0].event.status = 'cancelled' {{ THROW 'event_cancelled' }};
             LET $code = IF $from != 'pending' {{ $paid[0].promo_code }} ELSE {{ NONE }};
             {RETAKE_CODE}
             FOR $line IN $paid[0].lines {{
                LET $seat_type = $line.ticket_type;
                LET $quantity = $line.quantity;
                LET $seats_from = IF $from = 'pending' {{ 'held' }} ELSE {{ 'available' }};
                LET $seats_to = 'sold';
                LET $short = 'sold_out:';
                {MOVE_SEATS}
             }};
             FOR $ticket IN $tickets {{
                LET $issued = (CREATE ticket SET purchase = $purchase,
                    ticket_type = $ticket.ticket_type, event = $paid[0].event,
                    holder_name = $ticket.holder_name, holder_email = $ticket.holder_email,
                    answers = $ticket.answers,
                    access_keys = IF $ticket.holder_hash {{ [$ticket.holder_hash] }} ELSE {{ [] }},
                    code = $ticket.code, reference = $ticket.reference, status = 'valid',
                    created_at = time::now() RETURN VALUE id);
                IF $ticket.holder_key {{
                    LET $holder_key = $ticket.holder_key;
                    LET $ticket_email_key = string::concat('ticket/', $ticket.reference);
                    {QUEUE_TICKET_EMAIL}
                }};
             }};
             LET $sale = $paid[0];
             LET $sign = 1;
             LET $day = time::format(time::now(), '%Y-%m-%d');
             {COUNT_SALE_BODY}
             LET $kind = 'tickets';
             {QUEUE_ORDER_EMAIL}
             {GIVE_LINK_KEY}
             {LOG}
             COMMIT TRANSACTION;"
        );
        self.0
            .execute(
                &sql,
                vars![
                    ("id", id.to_owned()),
                    ("from", from),
                    ("to", OrderStatus::Paid),
                    ("payment_ref", payment_ref),
                    ("tickets", tickets),
                    ("link_key", link_key.to_owned()),
                    ("link_hash", link_hash),
                    ("key", format!("order-confirmation/{id}")),
                    ("recipient", email.to_owned()),
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
        to: OrderStatus,
        actor: &str,
        note: &str,
    ) -> Result<bool, DbError> {
        let sql = format!(
            "BEGIN TRANSACTION;
             LET $purchase = type::record('purchase', $id);
             LET $released = (UPDATE $purchase SET status = $to, updated_at = time::now()
                WHERE status = 'pending' RETURN AFTER);
             IF array::len($released) = 0 {{ THROW 'wrong_status' }};
             LET $code = $released[0].promo_code;
             {GIVE_CODE_BACK}
             FOR $line IN $released[0].lines {{
                LET $seat_type = $line.ticket_type;
                LET $quantity = $line.quantity;
                LET $seats_from = 'held';
                LET $seats_to = 'available';
                LET $short = 'inventory_mismatch:';
                {MOVE_SEATS}
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
                    ("from", Some(OrderStatus::Pending)),
                    ("to", to),
                    ("actor", actor.to_owned()),
                    ("note", Some(note.to_owned()))
                ],
            )
            .await;
        changed(outcome)
    }

    /// Pending orders whose hold lapsed before `now`, oldest first.
    pub async fn lapsed(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PendingOrder>, DbError> {
        self.pending_before(now, limit).await
    }

    /// Every pending order, oldest hold first.
    pub async fn pending(&self, limit: i64) -> Result<Vec<PendingOrder>, DbError> {
        self.pending_before(Utc::now() + chrono::Duration::days(36_500), limit)
            .await
    }

    async fn pending_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PendingOrder>, DbError> {
        self.0
            .rows(
                "SELECT record::id(id) AS id, checkout_session_id, hold_expires_at FROM purchase
                 WHERE status = 'pending' AND hold_expires_at < $before
                 ORDER BY hold_expires_at ASC LIMIT $limit",
                vars![("before", before), ("limit", limit)],
            )
            .await
    }

    /// The event's orders in `status` (to settle them when it is cancelled).
    pub async fn of_event(
        &self,
        event_id: &str,
        status: OrderStatus,
    ) -> Result<Vec<String>, DbError> {
        self.0
            .rows(
                "SELECT VALUE record::id(id) FROM purchase
                 WHERE event = type::record('event', $event) AND status = $status",
                vars![("event", event_id.to_owned()), ("status", status)],
            )
            .await
    }
}

/// A guarded transition's outcome: false when the order was not in the expected status.
fn changed(outcome: Result<surrealdb::IndexedResults, DbError>) -> Result<bool, DbError> {
    super::committed_unless(outcome, WRONG_STATUS)
}
