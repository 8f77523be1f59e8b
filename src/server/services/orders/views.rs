//! What buyers and organizers see of orders. Reads only: nothing here changes state.
use super::{buyers_order, managed, OrderAccess};
use crate::domain::question::Answer;
use crate::domain::{
    AttendeeRow, ManagedOrder, Money, OrderLineView, OrderLogEntry, OrderSearch, OrderStatus,
    OrderView, OrganizerOrderRow, TicketGroup, TicketView, ORGANIZER_LIST_LIMIT,
};
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::CurrentUser;
use crate::server::db::events::EventRecord;
use crate::server::db::orders::{
    AnswerRecord, AttendeeRecord, OrderRecord, OrderRepo, TicketRecord,
};
use crate::server::db::outbox::OutboxRepo;
use crate::server::db::questions::{QuestionRecord, QuestionRepo};
use crate::server::db::EventRepo;
use crate::server::format::{checked_in_text, format_when, money, place};
use crate::server::services::checkin::{self, PassSigner};
use crate::server::services::questions::labelled;
use crate::server::state::AppState;
use chrono::Utc;

fn domain_answers(stored: &[AnswerRecord]) -> Vec<Answer> {
    stored
        .iter()
        .map(|a| Answer {
            question: a.question.clone(),
            value: a.value.clone(),
        })
        .collect()
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

/// A ticket with the QR code of its signed pass and its answers.
fn ticket_view(
    signer: &PassSigner,
    questions: &[QuestionRecord],
    t: &TicketRecord,
) -> Result<TicketView, AppError> {
    let pass = signer.pass(&t.code, t.issue)?;
    Ok(TicketView {
        answers: labelled(questions, &t.answers, &t.order_answers),
        type_id: t.type_id.clone(),
        answer_values: domain_answers(&t.answers),
        reference: t.reference.clone(),
        type_name: t.type_name.clone(),
        holder_name: t.holder_name.clone(),
        status: t.status,
        issue: t.issue,
        qr_svg: qr_svg(&pass),
    })
}

pub(super) async fn ticket_views<'a>(
    state: &AppState,
    tickets: impl IntoIterator<Item = &'a TicketRecord>,
) -> Result<Vec<TicketView>, AppError> {
    // The event's key and questions are read once per event, not once per ticket.
    let mut event: Option<(PassSigner, Vec<QuestionRecord>)> = None;
    let mut views = Vec::new();
    for t in tickets {
        let current = match event.take() {
            Some(e) if e.0.event_id() == t.event => e,
            _ => (
                checkin::signer(state, &t.event).await?,
                QuestionRepo(&state.db)
                    .of_event(&t.event)
                    .await
                    .map_err(AppError::internal)?,
            ),
        };
        views.push(ticket_view(&current.0, &current.1, t)?);
        event = Some(current);
    }
    Ok(views)
}

fn line_views(order: &OrderRecord) -> Result<Vec<OrderLineView>, AppError> {
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

pub(super) async fn event_of(state: &AppState, event_id: &str) -> Result<EventRecord, AppError> {
    EventRepo(&state.db)
        .find_by_id(event_id)
        .await
        .map_err(AppError::internal)?
        .map(|(event, _)| event)
        .ok_or_else(|| AppError::NotFound("event".into()))
}

/// The buyer's order page.
pub async fn order_view(
    state: &AppState,
    access: &OrderAccess,
    order_id: &str,
) -> Result<OrderView, AppError> {
    let order = buyers_order(&state.db, access, order_id).await?;
    let tickets = OrderRepo(&state.db)
        .tickets_of_order(order_id)
        .await
        .map_err(AppError::internal)?;
    let event = event_of(state, &order.event).await?;
    let correctable = if order.status == OrderStatus::Paid && event.starts_at > Utc::now() {
        Some(crate::server::services::questions::asked(state, &order.event).await?)
    } else {
        None
    };
    Ok(OrderView {
        correctable,
        order_answers: domain_answers(&order.answers),
        partly_refunded: partly_refunded(&order)?,
        lines: line_views(&order)?,
        total: money(order.total_minor, &order.currency)?,
        id: order.id,
        reference: order.reference,
        event_title: event.title,
        event_slug: event.slug,
        event_when: format_when(event.starts_at, &event.time_zone),
        status: order.status,
        tickets: ticket_views(state, &tickets).await?,
        test_mode: state.payments.is_demo(),
        late_payment_refunded: order.late_payment_refunded,
    })
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
        out.push(ticket_group(event, ticket_views(state, list).await?));
    }
    Ok(out)
}

pub(super) fn ticket_group(event: EventRecord, tickets: Vec<TicketView>) -> TicketGroup {
    TicketGroup {
        event_when: format_when(event.starts_at, &event.time_zone),
        place: place(&event.venue, &event.address, event.online_url.as_deref()),
        event_title: event.title,
        event_slug: event.slug,
        tickets,
    }
}

/// The event, when `user` may manage it; its time zone formats the rows.
async fn managed_event(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
) -> Result<EventRecord, AppError> {
    let event = event_of(state, event_id).await?;
    if !may_manage(user, &event.organizer) {
        return Err(AppError::NotFound("event".into()));
    }
    Ok(event)
}

fn attendee_row(r: AttendeeRecord, time_zone: &str, questions: &[QuestionRecord]) -> AttendeeRow {
    AttendeeRow {
        answers: labelled(questions, &r.answers, &r.order_answers),
        holder_email: r.holder_email,
        checked_in: r
            .checked_in_at
            .map(|at| checked_in_text(at, r.checked_in_by.as_deref(), time_zone)),
        status: r.status,
        reference: r.reference,
        holder_name: r.holder_name,
        buyer_email: r.buyer_email,
        type_name: r.type_name,
        order_id: r.order_id,
        order_reference: r.order_reference,
    }
}

/// An event's orders matching `search`, newest first, at most [`ORGANIZER_LIST_LIMIT`].
pub async fn event_orders(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    search: &OrderSearch,
) -> Result<Vec<OrganizerOrderRow>, AppError> {
    let event = managed_event(state, user, event_id).await?;
    let records = OrderRepo(&state.db)
        .search_event(event_id, search, ORGANIZER_LIST_LIMIT)
        .await
        .map_err(AppError::internal)?;
    records
        .into_iter()
        .map(|o| {
            Ok(OrganizerOrderRow {
                status: o.status,
                total: money(o.total_minor, &o.currency)?,
                created: format_when(o.created_at, &event.time_zone),
                tickets: o.tickets.max(0) as u32,
                id: o.id,
                reference: o.reference,
                buyer_name: o.buyer_name,
                buyer_email: o.buyer_email,
                late_payment_refunded: o.late_payment_refunded,
                email_status: o.email_status,
            })
        })
        .collect()
}

/// An event's tickets matching `search` (its status filter does not apply to tickets).
pub async fn event_attendees(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    search: &OrderSearch,
) -> Result<Vec<AttendeeRow>, AppError> {
    let event = managed_event(state, user, event_id).await?;
    let records = OrderRepo(&state.db)
        .search_attendees(event_id, search, ORGANIZER_LIST_LIMIT)
        .await
        .map_err(AppError::internal)?;
    let questions = QuestionRepo(&state.db)
        .of_event(event_id)
        .await
        .map_err(AppError::internal)?;
    Ok(records
        .into_iter()
        .map(|r| attendee_row(r, &event.time_zone, &questions))
        .collect())
}

/// One order with its tickets and status log, for its event's organizer or an admin.
pub async fn managed_order(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
) -> Result<ManagedOrder, AppError> {
    let repo = OrderRepo(&state.db);
    let order = managed(&state.db, user, order_id).await?;
    let event = managed_event(state, user, &order.event).await?;
    let questions = QuestionRepo(&state.db)
        .of_event(&event.id)
        .await
        .map_err(AppError::internal)?;
    let tickets = repo
        .tickets_of_order(order_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|t| AttendeeRow {
            answers: labelled(&questions, &t.answers, &t.order_answers),
            holder_email: t.holder_email,
            checked_in: t
                .checked_in_at
                .map(|at| checked_in_text(at, t.checked_in_by.as_deref(), &event.time_zone)),
            status: t.status,
            reference: t.reference,
            holder_name: t.holder_name,
            buyer_email: order.buyer_email.clone(),
            type_name: t.type_name,
            order_id: order.id.clone(),
            order_reference: order.reference.clone(),
        })
        .collect();
    let log = repo
        .log_of(order_id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|l| OrderLogEntry {
            at: format_when(l.at, &event.time_zone),
            from: l.from_status,
            to: l.to_status,
            actor: l.actor,
            note: l.note,
        })
        .collect();
    let email_status = OutboxRepo(&state.db)
        .order_email_status(order_id)
        .await
        .map_err(AppError::internal)?;
    Ok(ManagedOrder {
        partly_refunded: partly_refunded(&order)?,
        lines: line_views(&order)?,
        total: money(order.total_minor, &order.currency)?,
        status: order.status,
        created: format_when(order.created_at, &event.time_zone),
        id: order.id,
        reference: order.reference,
        event_id: order.event,
        event_title: event.title,
        buyer_name: order.buyer_name,
        buyer_email: order.buyer_email,
        email_status,
        late_payment_refunded: order.late_payment_refunded,
        tickets,
        log,
    })
}

/// The part refunded at the provider, when there is one.
fn partly_refunded(order: &OrderRecord) -> Result<Option<Money>, AppError> {
    (order.status == OrderStatus::Paid && order.refunded_minor > 0)
        .then(|| money(order.refunded_minor, &order.currency))
        .transpose()
}
