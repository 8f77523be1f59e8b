//! Sales tools of an event: capacities shared by ticket types, promo and access codes,
//! hidden ticket types. The organizer manages them here; checkout asks `usable_code`.
use super::managed::load_managed;
use crate::domain::sales::{
    normalize_code, parse_capacity, CodeForm, CodeInput, CodeOffer, CodeRow, CodeTerms, Discount,
    QuotaForm, QuotaRow, SalesData, SalesTicketType,
};
use crate::domain::{Currency, EventStatus};
use crate::error::AppError;
use crate::server::auth::session::CurrentUser;
use crate::server::db::codes::{CodeRecord, CodeRepo, NewCode};
use crate::server::db::quotas::{QuotaRepo, BELOW_TAKEN};
use crate::server::db::DbError;
use crate::server::format::format_when;
use crate::server::services::catalog::ticket_view;
use crate::server::state::AppState;
use chrono::{DateTime, Utc};

fn discount_of(record: &CodeRecord) -> Result<Discount, AppError> {
    Discount::from_parts(&record.discount_kind, record.discount_value)
        .ok_or_else(|| AppError::internal("a stored code is malformed"))
}

fn terms_of(record: &CodeRecord) -> Result<CodeTerms, AppError> {
    Ok(CodeTerms {
        code: record.code.clone(),
        discount: discount_of(record)?,
        ticket_types: record.ticket_types.clone(),
        per_order: record.per_order,
    })
}

/// The event's code `code` if a buyer may use it at `now`, with its id; why not otherwise
/// (as a message on the `code` field).
pub async fn usable_code(
    state: &AppState,
    event_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(String, CodeTerms), AppError> {
    let refuse = |message: &str| Err(AppError::field("code", message));
    let found = CodeRepo(&state.db)
        .find(event_id, &normalize_code(code))
        .await
        .map_err(AppError::internal)?;
    let Some(record) = found.filter(|c| c.active) else {
        return refuse("That code does not exist for this event. Check its spelling.");
    };
    if record.valid_from.is_some_and(|from| from > now) {
        return refuse("That code is not valid yet.");
    }
    if record.valid_until.is_some_and(|until| until <= now) {
        return refuse("That code has expired.");
    }
    if record.max_uses.is_some_and(|max| record.uses >= max) {
        return refuse("That code has been used up.");
    }
    Ok((record.id.clone(), terms_of(&record)?))
}

/// The page of the event `slug` as a buyer with `code` sees it.
pub async fn code_offer(
    state: &AppState,
    slug: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<CodeOffer, AppError> {
    let (event, types, _) = state
        .event_cache
        .find_by_slug(&state.db, slug)
        .await
        .map_err(AppError::internal)?
        .filter(|(e, _, _)| e.status != EventStatus::Draft)
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let (_, terms) = usable_code(state, &event.id, code, now).await?;
    let currency = Currency::parse(&event.currency).map_err(AppError::internal)?;
    let mut ticket_types = Vec::with_capacity(types.len());
    for t in types {
        if t.hidden && !terms.ticket_types.contains(&t.id) {
            continue;
        }
        let applies = terms.applies_to(&t.id);
        let mut view = ticket_view(t, &event, event.status, now)?;
        let price = terms.discount.apply(view.price.minor());
        if applies && price < view.price.minor() {
            view.code_price = Some(crate::domain::Money::new(price, currency));
        }
        ticket_types.push(view);
    }
    let mut label = format!("{}: {}", terms.code, terms.discount.label(currency));
    if let Some(n) = terms.per_order {
        label.push_str(&format!(", on up to {n} tickets per order"));
    }
    Ok(CodeOffer {
        terms,
        label,
        ticket_types,
    })
}

/// The sales panel of an event, for its organizer.
pub async fn sales_data(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
) -> Result<SalesData, AppError> {
    let (event, types) = load_managed(state, user, event_id).await?;
    let currency = Currency::parse(&event.currency).map_err(AppError::internal)?;
    let name_of = |id: &String| {
        types
            .iter()
            .find(|t| t.id == *id)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    let quotas = QuotaRepo(&state.db)
        .of_event(&event.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|q| QuotaRow {
            ticket_types: q.ticket_types.iter().map(name_of).collect(),
            id: q.id,
            name: q.name,
            capacity: q.capacity,
            available: q.available,
            held: q.held,
            sold: q.sold,
        })
        .collect();
    let base = &state.settings.public_base_url;
    let mut codes = Vec::new();
    for c in CodeRepo(&state.db)
        .of_event(&event.id)
        .await
        .map_err(AppError::internal)?
    {
        let when = |at: Option<DateTime<Utc>>| at.map(|at| format_when(at, &event.time_zone));
        let window = match (when(c.valid_from), when(c.valid_until)) {
            (None, None) => "any time".to_owned(),
            (Some(from), None) => format!("from {from}"),
            (None, Some(until)) => format!("until {until}"),
            (Some(from), Some(until)) => format!("{from} to {until}"),
        };
        codes.push(CodeRow {
            discount: discount_of(&c)?.label(currency),
            ticket_types: c.ticket_types.iter().map(name_of).collect(),
            link: format!(
                "{base}/events/{}?code={}",
                event.slug,
                crate::domain::urlencode(&c.code)
            ),
            id: c.id,
            code: c.code,
            window,
            uses: c.uses,
            max_uses: c.max_uses,
            per_order: c.per_order,
            active: c.active,
        });
    }
    Ok(SalesData {
        ticket_types: types
            .into_iter()
            .map(|t| SalesTicketType {
                id: t.id,
                name: t.name,
                hidden: t.hidden,
            })
            .collect(),
        quotas,
        codes,
        currency: event.currency,
    })
}

/// Adds a capacity shared by some of the event's ticket types.
pub async fn add_quota(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    name: &str,
    capacity: &str,
    ticket_types: Vec<String>,
) -> Result<(), AppError> {
    let (event, types) = load_managed(state, user, event_id).await?;
    let known: Vec<String> = types.into_iter().map(|t| t.id).collect();
    let form = QuotaForm::parse(name, capacity, ticket_types, &known)?;
    let created = QuotaRepo(&state.db)
        .create(
            &event.id,
            &form.name,
            form.capacity,
            &form.ticket_types,
            &user.actor(),
        )
        .await;
    changed(state, created.map(|()| true), "shared capacity")
}

/// A new capacity for one of the event's shared capacities.
pub async fn set_quota_capacity(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    quota_id: &str,
    capacity: &str,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    let capacity = parse_capacity(capacity)?;
    let outcome = QuotaRepo(&state.db)
        .set_capacity(&event.id, quota_id, capacity, &user.actor())
        .await;
    changed(state, outcome, "shared capacity")?;
    super::waitlist::offer_seats(state, Utc::now()).await?;
    Ok(())
}

pub async fn remove_quota(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    quota_id: &str,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    let outcome = QuotaRepo(&state.db)
        .remove(&event.id, quota_id, &user.actor())
        .await;
    changed(state, outcome, "shared capacity")
}

/// Adds a promo or access code.
pub async fn add_code(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    input: CodeInput<'_>,
) -> Result<(), AppError> {
    let (event, types) = load_managed(state, user, event_id).await?;
    let known: Vec<String> = types.into_iter().map(|t| t.id).collect();
    let currency = Currency::parse(&event.currency).map_err(AppError::internal)?;
    let tz = event.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let form = CodeForm::parse(input, &known, currency, tz)?;
    let created = CodeRepo(&state.db)
        .create(
            &event.id,
            NewCode {
                code: &form.code,
                discount: form.discount.parts(),
                ticket_types: &form.ticket_types,
                valid_from: form.valid_from,
                valid_until: form.valid_until,
                max_uses: form.max_uses,
                per_order: form.per_order,
            },
            &user.actor(),
        )
        .await;
    match created {
        Err(DbError::Duplicate(_)) => {
            Err(AppError::field("code", "This event has that code already."))
        }
        other => changed(state, other.map(|()| true), "code"),
    }
}

/// Switches a code off or on again (`active`).
pub async fn set_code_active(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    code_id: &str,
    active: bool,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    let outcome = CodeRepo(&state.db)
        .set_active(&event.id, code_id, active, &user.actor())
        .await;
    changed(state, outcome, "code")
}

/// Hides a ticket type (sold only with a code that names it) or shows it again.
pub async fn set_ticket_type_hidden(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    ticket_type_id: &str,
    hidden: bool,
) -> Result<(), AppError> {
    let (event, _) = load_managed(state, user, event_id).await?;
    let outcome = CodeRepo(&state.db)
        .set_hidden(&event.id, ticket_type_id, hidden, &user.actor())
        .await;
    changed(state, outcome, "ticket type")
}

/// A change's outcome: the event page forgets what it showed; `false` means there was no
/// such `thing`, a capacity below the seats taken is said on its field.
fn changed(state: &AppState, outcome: Result<bool, DbError>, thing: &str) -> Result<(), AppError> {
    match outcome {
        Ok(true) => {
            state.event_cache.clear();
            Ok(())
        }
        Ok(false) => Err(AppError::NotFound(thing.into())),
        Err(DbError::Rejected(code)) if code == BELOW_TAKEN => Err(AppError::field(
            "capacity",
            "Its ticket types already hold or sold more seats than that.",
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}
