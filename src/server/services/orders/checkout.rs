//! Stage 1: hold the seats and start the payment.
use super::payment::payment_succeeded;
use super::refunds::{release, Release};
use super::short_reference;
use crate::domain::holder::{parse_holders, GuestDetails, HolderIn};
use crate::domain::question::{parse_answers, Answer, QuestionScope};
use crate::domain::sales::price_lines;
use crate::domain::{CheckoutLine, EventOffer, Selection, TicketOffer};
use crate::error::AppError;
use crate::server::auth::session::{new_token, session_key, CurrentUser};
use crate::server::db::codes::CODE_UNUSABLE;
use crate::server::db::events::TicketTypeRecord;
use crate::server::db::orders::{
    AnswerRecord, Attendee, NewOrder, OrderLine, OrderRepo, SOLD_OUT, TOO_MANY_PENDING,
};
use crate::server::db::orders::{OFFER_GONE, WAITLIST_FIRST};
use crate::server::db::waitlist::WaitlistRepo;
use crate::server::db::{new_id, DbError, EventRepo};
use crate::server::payments::SessionRequest;
use crate::server::services::sales::usable_code;
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use surrealdb::types::RecordId;

/// Stripe refuses a session that lives less than 30 minutes; ours ends with the hold, or
/// a little later when the hold is shorter (a payment in that gap is a late payment).
fn session_expiry(hold_expires_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    hold_expires_at.max(now + Duration::minutes(31))
}

/// Who buys: a signed-in account, or a guest who gave a name and an email.
pub enum Purchaser<'a> {
    Account(&'a CurrentUser),
    Guest(GuestDetails),
}

impl Purchaser<'_> {
    fn name(&self) -> &str {
        match self {
            Purchaser::Account(user) => &user.name,
            Purchaser::Guest(guest) => &guest.name,
        }
    }

    fn email(&self) -> &str {
        match self {
            Purchaser::Account(user) => &user.email,
            Purchaser::Guest(guest) => guest.email.as_str(),
        }
    }

    fn actor(&self) -> String {
        match self {
            Purchaser::Account(user) => user.actor(),
            Purchaser::Guest(guest) => format!("guest:{}", guest.email.as_str()),
        }
    }
}

/// What the buyer gives besides the tickets: a name (and email) per ticket, answers to
/// the questions asked once per order, and a promo or access code.
#[derive(Default)]
pub struct BuyerInput<'a> {
    pub holders: &'a [HolderIn],
    pub answers: BTreeMap<String, String>,
    pub code: Option<&'a str>,
    /// A waiting-list offer taken up: its entry and the key of its link.
    pub offer: Option<(&'a str, &'a str)>,
}

/// Validates the selection and the ticket holders, holds the seats and starts the payment.
/// Returns where the buyer goes next: the payment page, or the order page for a free
/// order (with the order's link key, so a guest's browser can open it).
pub async fn checkout(
    state: &AppState,
    buyer: &Purchaser<'_>,
    event_id: &str,
    requested: &[CheckoutLine],
    input: &BuyerInput<'_>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let (event, ticket_types) = EventRepo(&state.db)
        .find_by_id(event_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let code = match input.code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => Some(usable_code(state, &event.id, code, now).await?),
        None => None,
    };
    let terms = code.as_ref().map(|(_, terms)| terms);
    let offered = match input.offer {
        Some((entry, key)) => {
            Some(check_offer(state, &event.id, entry, key, requested, now).await?)
        }
        None => None,
    };
    // A hidden type is on sale only to a buyer whose code names it.
    let offers: Vec<TicketOffer> = ticket_types
        .iter()
        .filter(|t| {
            !t.hidden
                || terms.is_some_and(|c| c.ticket_types.contains(&t.id))
                || offered.as_ref() == Some(&t.id)
        })
        .map(offer)
        .collect();
    let selection = Selection::parse(
        requested,
        EventOffer {
            status: event.status,
            ends_at: event.ends_at,
        },
        &offers,
        now,
    )?;
    let lines: Vec<OrderLine> = price_lines(selection.lines(), terms)
        .into_iter()
        .map(|l| OrderLine {
            ticket_type: RecordId::new("ticket_type", l.ticket_type_id),
            name: l.name,
            quantity: i64::from(l.quantity),
            unit_price_minor: l.unit_price_minor,
            list_price_minor: l.list_price_minor,
        })
        .collect();
    let (order_answers, attendees) = details(
        state,
        &event.id,
        &selection,
        buyer.name(),
        input.holders,
        &input.answers,
    )
    .await?;
    let total_minor: i64 = lines.iter().map(|l| l.unit_price_minor * l.quantity).sum();
    if total_minor > 0 && !state.payments.is_configured() {
        return Err(AppError::Validation(
            "Paid tickets cannot be bought yet: payments are not set up on this site. Free tickets can still be booked.".into(),
        ));
    }
    let order_id = new_id();
    let hold_expires_at = now + Duration::seconds(state.settings.hold_secs);
    let key = new_token();
    let (account, guest) = match buyer {
        Purchaser::Account(user) => (Some(RecordId::new("user", user.id.clone())), None),
        Purchaser::Guest(guest) => (None, Some(guest)),
    };
    let order = NewOrder {
        buyer: account,
        guest_name: guest.map(|g| g.name.clone()),
        guest_email: guest.map(|g| g.email.as_str().to_owned()),
        access_key: session_key(&key),
        attendees,
        answers: order_answers,
        event: RecordId::new("event", event.id.clone()),
        reference: short_reference("TX"),
        lines: lines.clone(),
        total_minor,
        currency: event.currency.clone(),
        hold_expires_at,
        promo_code: code.map(|(id, _)| RecordId::new("promo_code", id)),
        waitlist_entry: input
            .offer
            .map(|(entry, _)| RecordId::new("waitlist_entry", entry)),
        offer_key: input.offer.map(|(_, key)| session_key(key)),
    };
    let actor = buyer.actor();
    let held = {
        // Correctness comes from the guarded transaction; queueing spares this instance's
        // buyers of the same ticket types a storm of conflicts and retries.
        let _turns = state.holds.turns(&selection.ticket_type_ids()).await;
        OrderRepo(&state.db)
            .hold(&order_id, order, state.settings.max_pending_orders, &actor)
            .await
    };
    match held {
        Ok(()) => {
            state.event_cache.clear();
            state.metrics.checkout_created();
        }
        Err(DbError::Rejected(code)) if code.starts_with(SOLD_OUT) => {
            state.metrics.sold_out_rejected();
            return Err(sold_out_message(state, &code[SOLD_OUT.len()..]).await);
        }
        Err(DbError::Rejected(code)) if code == OFFER_GONE => {
            return Err(AppError::Validation(OFFER_ENDED.into()));
        }
        Err(DbError::Rejected(code)) if code.starts_with(WAITLIST_FIRST) => {
            let id = &code[WAITLIST_FIRST.len()..];
            let name = ticket_types
                .iter()
                .find(|t| t.id == id)
                .map_or("This ticket type", |t| t.name.as_str());
            return Err(AppError::Validation(format!(
                "Sorry, “{name}” is sold out: seats that come back go to its waiting list first."
            )));
        }
        Err(DbError::Rejected(code)) if code == CODE_UNUSABLE => {
            return Err(AppError::field(
                "code",
                "This code was just used up or is no longer valid; remove it to buy at the full price.",
            ));
        }
        Err(DbError::Rejected(code)) if code == TOO_MANY_PENDING => {
            return Err(AppError::Validation(format!(
                "You already have {} orders for this event waiting for payment. Pay or cancel one of them first (see My tickets).",
                state.settings.max_pending_orders
            )));
        }
        Err(DbError::Contention(attempts)) => {
            tracing::warn!(attempts, "hold gave up after repeated conflicts");
            return Err(AppError::Busy);
        }
        Err(e) => return Err(AppError::internal(e)),
    }
    tracing::info!(order = %order_id, event = %event.id, total_minor, "seats held");

    let order_page = format!("/orders/{order_id}?key={key}");
    if total_minor == 0 {
        payment_succeeded(state, &order_id, None, &actor)
            .await
            .map_err(AppError::internal)?;
        return Ok(order_page);
    }
    let base = &state.settings.public_base_url;
    let request = SessionRequest {
        order_id: order_id.clone(),
        buyer_email: buyer.email().to_owned(),
        currency: event.currency.clone(),
        lines: lines
            .iter()
            .map(|l| (l.name.clone(), l.unit_price_minor, l.quantity as u32))
            .collect(),
        expires_at: session_expiry(hold_expires_at, now),
        success_url: format!("{base}{order_page}&session_id={{CHECKOUT_SESSION_ID}}"),
        cancel_url: format!("{base}{order_page}&cancelled=1"),
        order_key: key,
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

const OFFER_ENDED: &str =
    "This offer has ended: it ran out or was already used. You can join the waiting list again.";

/// A waiting-list offer may be taken: by its link's key, before it runs out, for exactly
/// the one ticket it holds (whose type it returns).
async fn check_offer(
    state: &AppState,
    event_id: &str,
    entry: &str,
    key: &str,
    requested: &[CheckoutLine],
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let found = WaitlistRepo(&state.db)
        .find(entry)
        .await
        .map_err(AppError::internal)?
        .filter(|e| e.event == event_id && e.offer_key.as_deref() == Some(&session_key(key)))
        .ok_or_else(|| AppError::NotFound("offer".into()))?;
    if found.status != "offered" || found.offer_expires_at.is_none_or(|until| until <= now) {
        return Err(AppError::Validation(OFFER_ENDED.into()));
    }
    let one: Vec<&CheckoutLine> = requested.iter().filter(|l| l.quantity > 0).collect();
    if one.len() != 1 || one[0].quantity != 1 || one[0].ticket_type_id != found.ticket_type {
        return Err(AppError::Validation(
            "The offer holds one ticket of its type: that is what it buys.".into(),
        ));
    }
    Ok(found.ticket_type)
}

/// The holders and answers given at checkout, checked against the event's questions: those
/// asked once per order, and for each ticket those asked for its type. Every problem is
/// reported at once, by field.
async fn details(
    state: &AppState,
    event_id: &str,
    selection: &Selection,
    buyer_name: &str,
    holders: &[HolderIn],
    answers: &BTreeMap<String, String>,
) -> Result<(Vec<AnswerRecord>, Vec<Attendee>), AppError> {
    let questions = crate::server::services::questions::asked(state, event_id).await?;
    let types: Vec<&str> = selection
        .lines()
        .iter()
        .flat_map(|l| std::iter::repeat_n(l.ticket_type_id.as_str(), l.quantity as usize))
        .collect();
    let named = parse_holders(holders, types.len(), buyer_name)?;
    let mut problems = Vec::new();
    let mut keep = |result: Result<Vec<Answer>, AppError>| match result {
        Ok(answers) => stored(answers),
        Err(AppError::Fields(errors)) => {
            problems.extend(errors);
            Vec::new()
        }
        Err(other) => {
            problems.push(crate::error::FieldError {
                field: "answers".into(),
                message: other.to_string(),
            });
            Vec::new()
        }
    };
    let for_order = keep(parse_answers(
        questions.iter().filter(|q| q.scope == QuestionScope::Order),
        answers,
        |id| format!("answers[{id}]"),
    ));
    let empty = BTreeMap::new();
    let attendees: Vec<Attendee> = named
        .into_iter()
        .zip(types)
        .enumerate()
        .map(|(i, (holder, ticket_type))| Attendee {
            answers: keep(
                parse_answers(
                    questions.iter().filter(|q| {
                        q.scope == QuestionScope::Attendee && q.applies_to(ticket_type)
                    }),
                    holders.get(i).map_or(&empty, |h| &h.answers),
                    |id| format!("holders[{i}][answers][{id}]"),
                )
                .map_err(|e| match e {
                    AppError::Fields(errors) => AppError::Fields(
                        errors
                            .into_iter()
                            .map(|mut f| {
                                f.message = format!("Ticket {}: {}", i + 1, f.message);
                                f
                            })
                            .collect(),
                    ),
                    other => other,
                }),
            ),
            name: holder.name,
            email: holder.email.map(|e| e.as_str().to_owned()),
        })
        .collect();
    if problems.is_empty() {
        Ok((for_order, attendees))
    } else {
        Err(AppError::Fields(problems))
    }
}

pub(super) fn stored(answers: Vec<Answer>) -> Vec<AnswerRecord> {
    answers
        .into_iter()
        .map(|a| AnswerRecord {
            question: a.question,
            value: a.value,
        })
        .collect()
}

fn offer(t: &TicketTypeRecord) -> TicketOffer<'_> {
    TicketOffer {
        id: &t.id,
        name: &t.name,
        price_minor: t.price_minor,
        min_per_order: t.min_per_order,
        max_per_order: t.max_per_order,
        sale_starts_at: t.sale_starts_at,
        sale_ends_at: t.sale_ends_at,
    }
}

/// "Sorry, only 3 “Standard” tickets are left." after a guarded hold came up short on
/// `ledger` (`ticket_type:<id>` or `quota:<id>`, a capacity shared by several types).
async fn sold_out_message(state: &AppState, ledger: &str) -> AppError {
    let (table, id) = ledger.split_once(':').unwrap_or(("ticket_type", ledger));
    let left = EventRepo(&state.db).left_in(table, id).await.ok().flatten();
    let Some((name, left)) = left else {
        return AppError::Validation("Sorry, these tickets are sold out.".into());
    };
    AppError::Validation(match (table, left) {
        ("quota", 0) => format!("Sorry, “{name}” is full: its ticket types are sold out."),
        ("quota", 1) => format!("Sorry, only 1 place is left in “{name}”."),
        ("quota", n) => format!("Sorry, only {n} places are left in “{name}”."),
        (_, 0) => format!("Sorry, “{name}” is sold out."),
        (_, 1) => format!("Sorry, only 1 “{name}” ticket is left."),
        (_, n) => format!("Sorry, only {n} “{name}” tickets are left."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
