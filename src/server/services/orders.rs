//! The purchase path (ARCHITECTURE.md): hold -> pay -> fulfil, or release. Every function
//! here is safe to run concurrently and more than once: the database transitions are
//! guarded by the order's current status, so exactly one caller wins each transition.
use super::catalog::{format_when, may_manage, money};
use crate::domain::{
    CheckoutLine, EventStatus, OrderLineView, OrderStatus, OrderView, TicketGroup, TicketStatus,
    TicketView, MAX_TICKETS_PER_ORDER,
};
use crate::error::AppError;
use crate::server::auth::session::CurrentUser;
use crate::server::db::orders::{
    Fulfilment, NewOrder, NewTicket, OrderLine, OrderRecord, OrderRepo, TicketRecord, SOLD_OUT,
    WRONG_STATUS,
};
use crate::server::db::{Db, DbError, EventRepo};
use crate::server::payments::{PaymentError, SessionRequest};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use surrealdb::types::{RecordId, RecordIdKey};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error("order {0} not found")]
    NotFound(String),
}

/// Crockford's base32: no I, L, O or U, so references read aloud without confusion.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random_base32(len: usize) -> String {
    (0..len)
        .map(|_| ALPHABET[usize::from(rand::random::<u8>() & 31)] as char)
        .collect()
}

/// A ticket's secret: 32 base32 characters, 160 random bits.
fn ticket_code() -> String {
    random_base32(32)
}

/// A short reference people can read out: `T-XXXX-XXXX` (40 random bits).
fn short_reference(prefix: &str) -> String {
    let raw = random_base32(8);
    format!("{prefix}-{}-{}", &raw[..4], &raw[4..])
}

/// Stripe refuses a session that lives less than 30 minutes; ours ends with the hold, or
/// a little later when the hold is shorter (a payment in that gap is a late payment).
fn session_expiry(hold_expires_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    hold_expires_at.max(now + Duration::minutes(31))
}

/// Validates the selection, holds the seats and starts the payment. Returns where the
/// buyer goes next: the payment page, or the order page for a free order.
pub async fn checkout(
    state: &AppState,
    buyer: &CurrentUser,
    event_id: &str,
    selection: &[CheckoutLine],
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (event, ticket_types) = EventRepo(&state.db)
        .find_by_id(event_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    if event.status != EventStatus::Published.as_str() || event.ends_at <= now {
        return Err(AppError::Validation(
            "Tickets for this event are not on sale.".into(),
        ));
    }
    let mut lines = Vec::new();
    let mut total_quantity = 0_u32;
    let mut seen: Vec<&str> = Vec::new();
    for line in selection.iter().filter(|l| l.quantity > 0) {
        let ticket = ticket_types
            .iter()
            .find(|t| t.id == line.ticket_type_id)
            .ok_or_else(|| AppError::Validation("That ticket type does not exist.".into()))?;
        if ticket.sale_starts_at.is_some_and(|s| s > now)
            || ticket.sale_ends_at.is_some_and(|e| e <= now)
        {
            return Err(AppError::Validation(format!(
                "“{}” is not on sale right now.",
                ticket.name
            )));
        }
        let quantity = i64::from(line.quantity);
        if quantity < ticket.min_per_order || quantity > ticket.max_per_order {
            return Err(AppError::Validation(format!(
                "Choose between {} and {} “{}” tickets.",
                ticket.min_per_order, ticket.max_per_order, ticket.name
            )));
        }
        if seen.contains(&ticket.id.as_str()) {
            return Err(AppError::Validation(
                "Each ticket type may appear once.".into(),
            ));
        }
        seen.push(&ticket.id);
        total_quantity += line.quantity;
        lines.push(OrderLine {
            ticket_type: RecordId::new("ticket_type", ticket.id.clone()),
            name: ticket.name.clone(),
            quantity,
            unit_price_minor: ticket.price_minor,
        });
    }
    if lines.is_empty() {
        return Err(AppError::Validation("Choose at least one ticket.".into()));
    }
    if total_quantity > MAX_TICKETS_PER_ORDER {
        return Err(AppError::Validation(format!(
            "One order can hold at most {MAX_TICKETS_PER_ORDER} tickets."
        )));
    }
    let total_minor: i64 = lines.iter().map(|l| l.unit_price_minor * l.quantity).sum();
    let order_id = crate::server::db::new_id();
    let hold_expires_at = now + Duration::seconds(state.settings.hold_secs);
    let order = NewOrder {
        buyer: RecordId::new("user", buyer.id.clone()),
        event: RecordId::new("event", event.id.clone()),
        reference: short_reference("TX"),
        lines: lines.clone(),
        total_minor,
        currency: event.currency.clone(),
        hold_expires_at,
    };
    let actor = format!("user:{}", buyer.id);
    let held = {
        // Correctness comes from the guarded transaction; queueing spares this instance's
        // buyers of the same ticket types a storm of conflicts and retries.
        let _turns = state.holds.turns(&seen).await;
        OrderRepo(&state.db).hold(&order_id, order, &actor).await
    };
    match held {
        Ok(()) => {
            state.event_cache.clear();
            state.metrics.checkout_created();
        }
        Err(DbError::Rejected(code)) if code.starts_with(SOLD_OUT) => {
            state.metrics.sold_out_rejected();
            return Err(sold_out_message(state, &code[SOLD_OUT.len()..], &ticket_types).await);
        }
        Err(DbError::Contention(attempts)) => {
            tracing::warn!(attempts, "hold gave up after repeated conflicts");
            return Err(AppError::Busy);
        }
        Err(e) => return Err(AppError::internal(e)),
    }
    tracing::info!(order = %order_id, event = %event.id, buyer = %buyer.id, total_minor, "seats held");

    if total_minor == 0 {
        payment_succeeded(state, &order_id, None, &actor)
            .await
            .map_err(AppError::internal)?;
        return Ok(format!("/orders/{order_id}"));
    }
    let base = &state.settings.public_base_url;
    let request = SessionRequest {
        order_id: order_id.clone(),
        buyer_email: buyer.email.clone(),
        currency: event.currency.clone(),
        lines: lines
            .iter()
            .map(|l| (l.name.clone(), l.unit_price_minor, l.quantity as u32))
            .collect(),
        expires_at: session_expiry(hold_expires_at, now),
        success_url: format!("{base}/orders/{order_id}?session_id={{CHECKOUT_SESSION_ID}}"),
        cancel_url: format!("{base}/orders/{order_id}?cancelled=1"),
    };
    match state.payments.create_session(&request).await {
        Ok(session) => {
            OrderRepo(&state.db)
                .set_session(&order_id, &session.id)
                .await
                .map_err(AppError::internal)?;
            Ok(session.url)
        }
        Err(e) => {
            let reference = match AppError::internal(&e) {
                AppError::Internal(reference) => reference,
                other => other.to_string(),
            };
            release(state, &order_id, Release::ProviderFailed, "system")
                .await
                .map_err(AppError::internal)?;
            Err(AppError::PaymentUnavailable(reference))
        }
    }
}

/// One async lock per ticket type for one app instance: its buyers of a ticket type queue
/// instead of colliding in the database. Other instances still meet in the database, whose
/// guarded transaction is what keeps the ledger right.
#[derive(Default)]
pub struct HoldQueue {
    locks:
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl HoldQueue {
    /// Waits for this instance's turn at the given ticket types, taken in sorted order so
    /// two orders never wait for each other.
    async fn turns(&self, ticket_types: &[&str]) -> Vec<tokio::sync::OwnedMutexGuard<()>> {
        let mut ids: Vec<&str> = ticket_types.to_vec();
        ids.sort_unstable();
        let locks: Vec<_> = {
            let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            ids.iter()
                .map(|id| map.entry((*id).to_owned()).or_default().clone())
                .collect()
        };
        let mut guards = Vec::with_capacity(locks.len());
        for lock in locks {
            guards.push(lock.lock_owned().await);
        }
        guards
    }
}

/// "Sorry, only 3 “Standard” tickets are left." after a guarded hold came up short.
async fn sold_out_message(
    state: &AppState,
    ticket_type_id: &str,
    ticket_types: &[crate::server::db::events::TicketTypeRecord],
) -> AppError {
    let name = ticket_types
        .iter()
        .find(|t| t.id == ticket_type_id)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "A ticket type".into());
    let left = current_available(&state.db, ticket_type_id)
        .await
        .unwrap_or(0);
    AppError::Validation(match left {
        0 => format!("Sorry, “{name}” is sold out."),
        1 => format!("Sorry, only 1 “{name}” ticket is left."),
        n => format!("Sorry, only {n} “{name}” tickets are left."),
    })
}

async fn current_available(db: &Db, ticket_type_id: &str) -> Result<i64, DbError> {
    let mut response = db
        .execute(
            "SELECT VALUE available FROM type::record('ticket_type', $id)",
            crate::vars![("id", ticket_type_id.to_owned())],
        )
        .await?;
    let values: Vec<i64> = response.take(0).map_err(DbError::from_surreal)?;
    Ok(values.first().copied().unwrap_or(0))
}

/// What happened when a payment was reported.
#[derive(Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    Fulfilled,
    AlreadyPaid,
    /// Paid after the hold lapsed with no stock left: refunded.
    RefundedLate,
    /// Already refunded or otherwise final: nothing to do.
    Ignored,
}

async fn load(db: &Db, order_id: &str) -> Result<OrderRecord, OrderError> {
    OrderRepo(db)
        .find(order_id)
        .await?
        .ok_or_else(|| OrderError::NotFound(order_id.to_owned()))
}

fn tickets_for(order: &OrderRecord) -> Vec<NewTicket> {
    order
        .lines
        .iter()
        .flat_map(|line| {
            (0..line.quantity).map(|_| NewTicket {
                ticket_type: line.ticket_type.clone(),
                code: ticket_code(),
                reference: short_reference("T"),
            })
        })
        .collect()
}

/// The payment for an order succeeded (webhook, success page, demo gateway or a free
/// order): fulfil it once, whoever reports it first.
pub async fn payment_succeeded(
    state: &AppState,
    order_id: &str,
    payment_ref: Option<String>,
    actor: &str,
) -> Result<PaymentOutcome, OrderError> {
    // A lost race re-reads the order and decides again; three rounds cover every path.
    for _ in 0..3 {
        let order = load(&state.db, order_id).await?;
        let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Refunded);
        let from = match status {
            OrderStatus::Paid => return Ok(PaymentOutcome::AlreadyPaid),
            OrderStatus::Refunded => {
                return finish_late_refund(state, &order).await;
            }
            other => other,
        };
        let payment_ref = payment_ref.clone().or(order.payment_ref.clone());
        // Fulfilment moves `held` to `sold` on the same rows holds write: take the same
        // turns, so this instance's payments and holds queue instead of conflicting.
        let type_ids: Vec<String> = order
            .lines
            .iter()
            .filter_map(|l| match &l.ticket_type.key {
                RecordIdKey::String(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let type_ids: Vec<&str> = type_ids.iter().map(String::as_str).collect();
        let fulfilled = {
            let _turns = state.holds.turns(&type_ids).await;
            OrderRepo(&state.db)
                .fulfil(
                    order_id,
                    Fulfilment {
                        from: from.as_str(),
                        payment_ref: payment_ref.clone(),
                        tickets: tickets_for(&order),
                        holder: &order.buyer_name,
                        email: &order.buyer_email,
                        actor,
                    },
                )
                .await
        };
        match fulfilled {
            Ok(()) => {
                tracing::info!(
                    order = order_id,
                    from = from.as_str(),
                    actor,
                    "order paid and tickets issued"
                );
                state.event_cache.clear();
                state.metrics.order_fulfilled();
                return Ok(PaymentOutcome::Fulfilled);
            }
            Err(DbError::Rejected(code)) if code == WRONG_STATUS => continue,
            // A late payment and the seats were sold meanwhile: give the money back.
            Err(DbError::Rejected(code)) if code.starts_with(SOLD_OUT) => {
                return refund_late(state, &order, from, payment_ref, actor).await;
            }
            // Two random ticket references collided: draw new ones.
            Err(DbError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OrderError::Db(DbError::Contention(3)))
}

async fn refund_late(
    state: &AppState,
    order: &OrderRecord,
    from: OrderStatus,
    payment_ref: Option<String>,
    actor: &str,
) -> Result<PaymentOutcome, OrderError> {
    let won = OrderRepo(&state.db)
        .mark_refunded(
            &order.id,
            from.as_str(),
            actor,
            "paid after the hold lapsed and the tickets were sold; refunded",
        )
        .await?;
    if !won {
        return Ok(PaymentOutcome::Ignored);
    }
    if let Some(payment) = &payment_ref {
        // Remember the payment so a retried delivery can send the refund if this one fails.
        state
            .db
            .execute(
                "UPDATE type::record('purchase', $id) SET payment_ref = $payment",
                crate::vars![("id", order.id.clone()), ("payment", payment.clone())],
            )
            .await?;
    }
    send_owed_refund(state, &order.id, payment_ref.as_deref()).await?;
    tracing::warn!(order = %order.id, "late payment refunded: no tickets left");
    Ok(PaymentOutcome::RefundedLate)
}

/// A retried delivery for a late payment already marked refunded: send the refund if
/// the earlier attempt did not get through.
async fn finish_late_refund(
    state: &AppState,
    order: &OrderRecord,
) -> Result<PaymentOutcome, OrderError> {
    send_owed_refund(state, &order.id, order.payment_ref.as_deref()).await?;
    Ok(PaymentOutcome::Ignored)
}

/// Sends the refund a late payment is owed, exactly once however many deliveries race:
/// the sender first claims it in the database, and returns the claim if the provider fails.
async fn send_owed_refund(
    state: &AppState,
    order_id: &str,
    payment_ref: Option<&str>,
) -> Result<(), OrderError> {
    let Some(payment) = payment_ref else {
        return Ok(());
    };
    if !OrderRepo(&state.db).claim_refund(order_id).await? {
        return Ok(());
    }
    if let Err(e) = state
        .payments
        .refund(payment, &format!("refund-{order_id}"))
        .await
    {
        OrderRepo(&state.db).unclaim_refund(order_id).await?;
        return Err(e.into());
    }
    Ok(())
}

/// Why a pending order gives its seats back.
#[derive(Debug, Clone, Copy)]
pub enum Release {
    Expired,
    BuyerCancelled,
    OrganizerCancelled,
    PaymentFailed,
    ProviderFailed,
}

/// Releases a pending order's seats; false when it was not pending any more.
pub async fn release(
    state: &AppState,
    order_id: &str,
    why: Release,
    actor: &str,
) -> Result<bool, OrderError> {
    let (to, note) = match why {
        Release::Expired => (OrderStatus::Expired, "the hold expired"),
        Release::BuyerCancelled => (OrderStatus::Cancelled, "the buyer cancelled the payment"),
        Release::OrganizerCancelled => (OrderStatus::Cancelled, "cancelled by the organizer"),
        Release::PaymentFailed => (OrderStatus::Cancelled, "the payment failed"),
        Release::ProviderFailed => (OrderStatus::Cancelled, "the payment provider failed"),
    };
    let released = OrderRepo(&state.db)
        .release(order_id, to.as_str(), actor, note)
        .await?;
    if released {
        state.event_cache.clear();
        tracing::info!(
            order = order_id,
            to = to.as_str(),
            actor,
            note,
            "hold released"
        );
    }
    Ok(released)
}

/// Stripe reports a refund made outside TickEx (the dashboard): void the tickets.
pub async fn refunded_at_provider(
    state: &AppState,
    payment_ref: &str,
    actor: &str,
) -> Result<(), OrderError> {
    let Some(order) = OrderRepo(&state.db).find_by_payment(payment_ref).await? else {
        return Ok(());
    };
    OrderRepo(&state.db)
        .mark_refunded(&order.id, "paid", actor, "refunded at Stripe")
        .await?;
    state.event_cache.clear();
    Ok(())
}

/// An organizer (or admin) cancels and refunds a paid order.
pub async fn refund_order(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
) -> Result<(), AppError> {
    let order = load(&state.db, order_id).await.map_err(|e| match e {
        OrderError::NotFound(_) => AppError::NotFound("order".into()),
        other => AppError::internal(other),
    })?;
    if !may_manage(user, &order.event_organizer) {
        return Err(AppError::Forbidden);
    }
    if order.status != OrderStatus::Paid.as_str() {
        return Err(AppError::Validation(
            "Only a paid order can be refunded.".into(),
        ));
    }
    refund_paid(state, &order, &format!("user:{}", user.id))
        .await
        .map_err(|e| match e {
            OrderError::Payment(p) => match AppError::internal(p) {
                AppError::Internal(reference) => AppError::PaymentUnavailable(reference),
                other => other,
            },
            other => AppError::internal(other),
        })
}

/// Money back first (idempotent at the provider), then tickets void and seats returned.
async fn refund_paid(state: &AppState, order: &OrderRecord, actor: &str) -> Result<(), OrderError> {
    if let Some(payment) = &order.payment_ref {
        state
            .payments
            .refund(payment, &format!("refund-{}", order.id))
            .await?;
    }
    OrderRepo(&state.db)
        .mark_refunded(&order.id, "paid", actor, "refunded by the organizer")
        .await?;
    state.event_cache.clear();
    tracing::info!(order = %order.id, actor, "order refunded");
    Ok(())
}

/// A cancelled event refunds every paid order; failures are logged and left for a retry.
pub async fn refund_event(
    state: &AppState,
    event_id: &str,
    actor: &str,
) -> Result<usize, AppError> {
    let orders = OrderRepo(&state.db)
        .paid_of_event(event_id)
        .await
        .map_err(AppError::internal)?;
    let mut refunded = 0;
    for order_id in orders {
        let outcome = match load(&state.db, &order_id).await {
            Ok(order) => refund_paid(state, &order, actor).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => refunded += 1,
            Err(e) => {
                tracing::error!(order = %order_id, error = %e, "refund after cancellation failed")
            }
        }
    }
    Ok(refunded)
}

/// Expires lapsed holds. A session that was paid at the last moment is fulfilled instead.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> Result<usize, OrderError> {
    let lapsed = OrderRepo(&state.db).lapsed(now, 200).await?;
    let mut expired = 0;
    for order in lapsed {
        if let Some(session) = &order.checkout_session_id {
            match state.payments.session(session).await {
                Ok(s) if s.paid => {
                    payment_succeeded(state, &order.id, s.payment_ref, "sweeper").await?;
                    continue;
                }
                Ok(_) => {
                    if let Err(e) = state.payments.expire_session(session).await {
                        tracing::warn!(order = %order.id, error = %e, "could not expire the session");
                    }
                }
                // The provider is unreachable: keep the hold and try again next round.
                Err(e) => {
                    tracing::warn!(order = %order.id, error = %e, "session state unknown");
                    continue;
                }
            }
        }
        if release(state, &order.id, Release::Expired, "sweeper").await? {
            expired += 1;
        }
    }
    Ok(expired)
}

/// Runs `sweep` forever at the configured interval.
pub fn spawn_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let period =
            std::time::Duration::from_secs(state.settings.sweep_interval_secs.max(1) as u64);
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match sweep(&state, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "expired holds returned to stock"),
                Err(e) => tracing::error!(error = %e, "sweeping expired holds failed"),
            }
        }
    })
}

pub async fn webhook_seen(db: &Db, event_id: &str) -> Result<bool, OrderError> {
    Ok(db.webhook_seen(event_id).await?)
}

pub async fn record_webhook(db: &Db, event_id: &str, kind: &str) -> Result<(), OrderError> {
    Ok(db.record_webhook(event_id, kind).await?)
}

fn qr_svg(code: &str) -> String {
    use qrcode::render::svg;
    match qrcode::QrCode::new(code.as_bytes()) {
        Ok(qr) => qr
            .render::<svg::Color>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

pub(super) fn ticket_status(value: &str) -> TicketStatus {
    match value {
        "void" => TicketStatus::Void,
        "checked_in" => TicketStatus::CheckedIn,
        _ => TicketStatus::Valid,
    }
}

fn ticket_view(t: &TicketRecord) -> TicketView {
    TicketView {
        reference: t.reference.clone(),
        type_name: t.type_name.clone(),
        holder_name: t.holder_name.clone(),
        status: ticket_status(&t.status),
        qr_svg: qr_svg(&t.code),
    }
}

/// The order page. Coming back from Stripe (`session_id`) fulfils at once if the webhook
/// has not arrived yet; coming back from its cancel link releases the seats at once.
pub async fn order_view(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
    session_id: Option<&str>,
    cancelled: bool,
) -> Result<OrderView, AppError> {
    let not_found = || AppError::NotFound("order".into());
    let order = OrderRepo(&state.db)
        .find(order_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(not_found)?;
    if order.buyer != user.id {
        return Err(not_found());
    }
    let actor = format!("user:{}", user.id);
    if order.status == OrderStatus::Pending.as_str() {
        let session_matches =
            session_id.is_some() && session_id == order.checkout_session_id.as_deref();
        if cancelled {
            if let Some(session) = &order.checkout_session_id {
                if let Err(e) = state.payments.expire_session(session).await {
                    tracing::warn!(order = order_id, error = %e, "could not expire the session");
                }
            }
            release(state, order_id, Release::BuyerCancelled, &actor)
                .await
                .map_err(AppError::internal)?;
        } else if session_matches {
            let session = session_id.unwrap_or_default();
            match state.payments.session(session).await {
                Ok(s) if s.paid => {
                    payment_succeeded(state, order_id, s.payment_ref, &actor)
                        .await
                        .map_err(AppError::internal)?;
                }
                Ok(_) => {}
                // The webhook will still arrive; show the order as it is.
                Err(e) => tracing::warn!(order = order_id, error = %e, "session lookup failed"),
            }
        }
    }
    let order = OrderRepo(&state.db)
        .find(order_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(not_found)?;
    let tickets = OrderRepo(&state.db)
        .tickets_of_order(order_id)
        .await
        .map_err(AppError::internal)?;
    let (event, _) = EventRepo(&state.db)
        .find_by_id(&order.event)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(not_found)?;
    let lines = line_views(&order)?;
    Ok(OrderView {
        id: order.id.clone(),
        reference: order.reference.clone(),
        event_title: event.title,
        event_slug: event.slug,
        event_when: format_when(event.starts_at, &event.time_zone),
        status: OrderStatus::parse(&order.status)
            .ok_or_else(|| AppError::internal(format!("unknown order status {}", order.status)))?,
        lines,
        total: money(order.total_minor, &order.currency)?,
        tickets: tickets.iter().map(ticket_view).collect(),
        test_mode: state.payments.is_demo(),
        late_payment_refunded: order.late_payment_refunded,
    })
}

pub(super) fn line_views(order: &OrderRecord) -> Result<Vec<OrderLineView>, AppError> {
    order
        .lines
        .iter()
        .map(|l| {
            Ok(OrderLineView {
                name: l.name.clone(),
                quantity: l.quantity as u32,
                unit_price: money(l.unit_price_minor, &order.currency)?,
                subtotal: money(l.unit_price_minor * l.quantity, &order.currency)?,
            })
        })
        .collect()
}

/// The signed-in user's tickets, grouped by event.
pub async fn my_tickets(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<TicketGroup>, AppError> {
    let tickets = OrderRepo(&state.db)
        .tickets_of_buyer(&user.id)
        .await
        .map_err(AppError::internal)?;
    let mut groups: Vec<(String, Vec<&TicketRecord>)> = Vec::new();
    for ticket in &tickets {
        match groups.iter_mut().find(|(event, _)| *event == ticket.event) {
            Some((_, list)) => list.push(ticket),
            None => groups.push((ticket.event.clone(), vec![ticket])),
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for (event_id, list) in groups {
        let Some((event, _)) = EventRepo(&state.db)
            .find_by_id(&event_id)
            .await
            .map_err(AppError::internal)?
        else {
            continue;
        };
        out.push(TicketGroup {
            event_when: format_when(event.starts_at, &event.time_zone),
            place: super::catalog::place(&event.venue, &event.address, event.online_url.as_deref()),
            event_title: event.title,
            event_slug: event.slug,
            tickets: list.into_iter().map(ticket_view).collect(),
        });
    }
    Ok(out)
}

/// Sends an order's ticket email again: for its buyer, or the event's organizer.
pub async fn resend_tickets(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let order = OrderRepo(&state.db)
        .find(order_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("order".into()))?;
    if order.buyer != user.id && !may_manage(user, &order.event_organizer) {
        return Err(AppError::NotFound("order".into()));
    }
    if order.status != OrderStatus::Paid.as_str() {
        return Err(AppError::Validation(
            "Only a paid order has tickets to send.".into(),
        ));
    }
    crate::server::email::outbox::enqueue_resend(state, order_id, &order.buyer_email, now).await?;
    tracing::info!(order = order_id, by = %user.id, "ticket email queued again");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_and_references_readable() {
        let code = ticket_code();
        assert_eq!(code.len(), 32, "160 bits");
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        let reference = short_reference("T");
        assert!(
            reference.starts_with("T-") && reference.len() == 11,
            "{reference}"
        );
        assert_ne!(ticket_code(), ticket_code());
    }

    #[test]
    fn stripe_sessions_live_at_least_31_minutes() {
        let now = Utc::now();
        assert_eq!(
            session_expiry(now + Duration::minutes(10), now),
            now + Duration::minutes(31)
        );
        let long = now + Duration::hours(2);
        assert_eq!(session_expiry(long, now), long);
    }
}
