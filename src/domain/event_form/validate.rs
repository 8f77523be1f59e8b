//! The server's validation of the event form into typed values.
use super::{EventForm, TicketForm, MAX_TICKET_TYPES};
use crate::domain::{Currency, Money, MoneyError};
use crate::error::FieldError;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Stripe's smallest charge is about half a unit of most currencies.
const MIN_PAID_MINOR: i64 = 50;
const MAX_PRICE_MINOR: i64 = 100_000_000;
const MAX_CAPACITY: i64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Edit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent {
    pub title: String,
    pub description: String,
    pub time_zone: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue: String,
    pub address: String,
    pub online_url: Option<String>,
    pub currency: Currency,
    pub tickets: Vec<ValidTicket>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidTicket {
    /// The row of the form it came from, for error messages.
    pub row: usize,
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub price: Money,
    pub capacity: i64,
    pub min_per_order: i64,
    pub max_per_order: i64,
    pub sale_starts_at: Option<DateTime<Utc>>,
    pub sale_ends_at: Option<DateTime<Utc>>,
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }
}

fn text(
    errors: &mut Errors,
    field: &str,
    value: &str,
    label: &str,
    range: std::ops::RangeInclusive<usize>,
) -> String {
    let value = value.trim().to_owned();
    let len = value.chars().count();
    if *range.start() > 0 && len == 0 {
        errors.add(field, format!("{label} is required."));
    } else if len < *range.start() {
        errors.add(
            field,
            format!("{label} needs at least {} characters.", range.start()),
        );
    } else if len > *range.end() {
        errors.add(
            field,
            format!("{label} can be at most {} characters.", range.end()),
        );
    }
    value
}

/// A `datetime-local` value read in `tz`, or what is wrong with it.
pub(crate) fn parse_local_time(value: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let value = value.trim();
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| "Enter a date and time.".to_owned())?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| format!("That time does not exist in {tz} (the clocks change then)."))
}

/// A `datetime-local` value read in `tz` (none yet: only its form is checked).
fn local_time(
    errors: &mut Errors,
    field: &str,
    value: &str,
    tz: Option<Tz>,
) -> Option<DateTime<Utc>> {
    let checked = parse_local_time(value, tz.unwrap_or(chrono_tz::UTC));
    match (checked, tz) {
        (Ok(at), Some(_)) => Some(at),
        (Ok(_), None) => None,
        (Err(message), _) => {
            errors.add(field, message);
            None
        }
    }
}

fn whole_number(
    errors: &mut Errors,
    field: &str,
    value: &str,
    label: &str,
    range: std::ops::RangeInclusive<i64>,
) -> i64 {
    match value.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.add(
                field,
                format!(
                    "{label} must be a whole number from {} to {}.",
                    range.start(),
                    range.end()
                ),
            );
            *range.start()
        }
    }
}

fn web_link(errors: &mut Errors, field: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let scheme_ok = value.starts_with("https://") || value.starts_with("http://");
    if !scheme_ok || value.len() > 500 || value.chars().any(char::is_whitespace) {
        errors.add(field, "Enter a full web address starting with https://");
    }
    Some(value.to_owned())
}

/// Checks every field and reports every problem at once.
pub fn validate(
    form: &EventForm,
    mode: Mode,
    now: DateTime<Utc>,
) -> Result<ValidEvent, Vec<FieldError>> {
    let mut errors = Errors(Vec::new());
    let title = text(&mut errors, "title", &form.title, "Title", 3..=120);
    let description = text(
        &mut errors,
        "description",
        &form.description,
        "Description",
        0..=20_000,
    );
    let currency = match Currency::parse_chargeable(form.currency.trim()) {
        Ok(currency) => Some(currency),
        Err(MoneyError::Unsupported) => {
            errors.add(
                "currency",
                "Stripe does not take payments in that currency; choose another, like EUR or USD.",
            );
            None
        }
        Err(_) => {
            errors.add("currency", "Choose a currency, like EUR or USD.");
            None
        }
    };
    let tz = form.time_zone.trim().parse::<Tz>().ok();
    if tz.is_none() {
        errors.add(
            "time_zone",
            "Choose a time zone from the list, like Europe/Berlin.",
        );
    }
    let starts_at = local_time(&mut errors, "starts_at", &form.starts_at, tz);
    let ends_at = local_time(&mut errors, "ends_at", &form.ends_at, tz);
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        if end <= start {
            errors.add("ends_at", "The end must be after the start.");
        } else if end - start > Duration::days(31) {
            errors.add("ends_at", "An event can last at most 31 days.");
        }
    }
    if let Some(start) = starts_at {
        if mode == Mode::Create && start <= now {
            errors.add("starts_at", "The event must start in the future.");
        } else if start > now + Duration::days(5 * 366) {
            errors.add(
                "starts_at",
                "The event must start within the next five years.",
            );
        }
    }
    let venue = text(&mut errors, "venue", &form.venue, "Venue", 0..=200);
    let address = text(&mut errors, "address", &form.address, "Address", 0..=300);
    let online_url = web_link(&mut errors, "online_url", &form.online_url);
    if venue.is_empty() && online_url.is_none() {
        errors.add("venue", "Give a venue, or an online link below.");
    }

    let rows: Vec<(usize, &TicketForm)> = form
        .tickets
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.is_blank())
        .collect();
    if rows.is_empty() {
        errors.add("ticket_name.0", "Add at least one ticket type.");
    } else if rows.len() > MAX_TICKET_TYPES {
        errors.add(
            "ticket_name.0",
            format!("An event can have at most {MAX_TICKET_TYPES} ticket types."),
        );
    }
    // Ticket prices are read in the event's currency; without one they wait.
    let tickets: Vec<ValidTicket> = match currency {
        Some(currency) => rows
            .into_iter()
            .map(|(i, row)| ticket(&mut errors, i, row, currency, tz, ends_at))
            .collect(),
        None => Vec::new(),
    };

    let (Some(currency), Some(starts_at), Some(ends_at), true) =
        (currency, starts_at, ends_at, errors.0.is_empty())
    else {
        return Err(errors.0);
    };
    Ok(ValidEvent {
        title,
        description,
        time_zone: form.time_zone.trim().to_owned(),
        starts_at,
        ends_at,
        venue,
        address,
        online_url,
        currency,
        tickets,
    })
}

fn ticket(
    errors: &mut Errors,
    i: usize,
    row: &TicketForm,
    currency: Currency,
    tz: Option<Tz>,
    event_ends_at: Option<DateTime<Utc>>,
) -> ValidTicket {
    let name = text(
        errors,
        &format!("ticket_name.{i}"),
        &row.name,
        "Name",
        1..=80,
    );
    let description = text(
        errors,
        &format!("ticket_description.{i}"),
        &row.description,
        "Description",
        0..=500,
    );
    let price_field = format!("ticket_price.{i}");
    let price = match Money::parse_major(&row.price, currency) {
        Ok(p) if p.minor() == 0 || (MIN_PAID_MINOR..=MAX_PRICE_MINOR).contains(&p.minor()) => p,
        Ok(p) if p.minor() > MAX_PRICE_MINOR => {
            errors.add(price_field, "That price is too high.");
            p
        }
        Ok(p) => {
            errors.add(
                price_field,
                format!(
                    "Paid tickets cost at least {}; use 0 for free.",
                    Money::new(MIN_PAID_MINOR, currency).format_plain()
                ),
            );
            p
        }
        Err(_) if currency.decimals() == 0 => {
            errors.add(
                price_field,
                format!("Enter a whole amount like 500 ({currency} has no decimals here), or 0 for free."),
            );
            Money::new(0, currency)
        }
        Err(_) => {
            errors.add(price_field, "Enter a price like 12.50, or 0 for free.");
            Money::new(0, currency)
        }
    };
    let capacity = whole_number(
        errors,
        &format!("ticket_capacity.{i}"),
        &row.capacity,
        "Capacity",
        1..=MAX_CAPACITY,
    );
    let min_per_order = whole_number(
        errors,
        &format!("ticket_min.{i}"),
        &row.min_per_order,
        "Minimum per order",
        1..=100,
    );
    let max_per_order = whole_number(
        errors,
        &format!("ticket_max.{i}"),
        &row.max_per_order,
        "Maximum per order",
        1..=100,
    );
    if max_per_order < min_per_order {
        errors.add(
            format!("ticket_max.{i}"),
            "The maximum must be at least the minimum.",
        );
    }
    let optional_time = |errors: &mut Errors, field: String, value: &str| {
        (!value.trim().is_empty())
            .then(|| local_time(errors, &field, value, tz))
            .flatten()
    };
    let sale_starts_at = optional_time(
        errors,
        format!("ticket_sale_starts.{i}"),
        &row.sale_starts_at,
    );
    let sale_ends_at = optional_time(errors, format!("ticket_sale_ends.{i}"), &row.sale_ends_at);
    if let (Some(start), Some(end)) = (sale_starts_at, sale_ends_at) {
        if end <= start {
            errors.add(
                format!("ticket_sale_ends.{i}"),
                "Sales must end after they start.",
            );
        }
    }
    if let (Some(end), Some(event_end)) = (sale_ends_at, event_ends_at) {
        if end > event_end {
            errors.add(
                format!("ticket_sale_ends.{i}"),
                "Sales must end by the end of the event.",
            );
        }
    }
    ValidTicket {
        row: i,
        id: Some(row.id.trim().to_owned()).filter(|id| !id.is_empty()),
        name,
        description: Some(description).filter(|d| !d.is_empty()),
        price,
        capacity,
        min_per_order,
        max_per_order,
        sale_starts_at,
        sale_ends_at,
    }
}
