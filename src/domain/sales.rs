//! Sales tools as typed at the edge: shared capacities, promo and access codes (and the
//! prices they make), and what the organizer's sales panel shows.
pub use super::pricing::{price_lines, CodeTerms, Discount, PricedLine};
use crate::error::{AppError, FieldError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most seats one shared capacity (or a code's uses) may count.
pub const MAX_COUNT: i64 = 1_000_000;

fn whole(value: &str, field: &str, what: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    match value.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_COUNT).contains(&n) => Some(n),
        _ => {
            errors.push(FieldError {
                field: field.into(),
                message: format!("Enter {what} as a whole number from 1 to {MAX_COUNT}."),
            });
            None
        }
    }
}

fn finish<T>(errors: Vec<FieldError>, value: Option<T>) -> Result<T, AppError> {
    match value {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(AppError::Fields(errors)),
    }
}

/// Ticket type ids picked from the event's own (`known`), each once.
fn picked(
    chosen: Vec<String>,
    known: &[String],
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in chosen {
        if !known.contains(&id) {
            errors.push(FieldError {
                field: field.into(),
                message: "Choose ticket types of this event.".into(),
            });
        } else if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// A shared capacity's new size, as typed.
pub fn parse_capacity(value: &str) -> Result<i64, AppError> {
    let mut errors = Vec::new();
    let capacity = whole(value, "capacity", "the capacity", &mut errors);
    finish(errors, capacity)
}

/// A capacity shared by several ticket types, as the organizer typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaForm {
    pub name: String,
    pub capacity: i64,
    pub ticket_types: Vec<String>,
}

impl QuotaForm {
    pub fn parse(
        name: &str,
        capacity: &str,
        ticket_types: Vec<String>,
        known: &[String],
    ) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 80 {
            errors.push(FieldError {
                field: "name".into(),
                message: "Give it a name of up to 80 characters, like “Main hall”.".into(),
            });
        }
        let capacity = whole(capacity, "capacity", "the capacity", &mut errors);
        let ticket_types = picked(ticket_types, known, "ticket_types", &mut errors);
        if ticket_types.is_empty() {
            errors.push(FieldError {
                field: "ticket_types".into(),
                message: "Choose the ticket types that share it.".into(),
            });
        }
        finish(
            errors,
            capacity.map(|capacity| QuotaForm {
                name,
                capacity,
                ticket_types,
            }),
        )
    }
}

/// Codes are typed by people: letters, digits, `-` and `_`, compared without case.
pub fn normalize_code(code: &str) -> String {
    code.trim().to_uppercase()
}

/// A promo or access code as the organizer typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeForm {
    pub code: String,
    pub discount: Discount,
    /// The types it applies to (and reveals when hidden); empty: every visible type.
    pub ticket_types: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    /// At most this many tickets of one order get the discount.
    pub per_order: Option<i64>,
}

/// The raw fields of the code form.
pub struct CodeInput<'a> {
    pub code: &'a str,
    pub discount: &'a str,
    pub amount: &'a str,
    pub ticket_types: Vec<String>,
    pub valid_from: &'a str,
    pub valid_until: &'a str,
    pub max_uses: &'a str,
    pub per_order: &'a str,
}

// Read on the server only (time zones come with the server's build).
#[cfg(feature = "ssr")]
impl CodeForm {
    pub fn parse(
        input: CodeInput<'_>,
        known: &[String],
        currency: super::Currency,
        tz: chrono_tz::Tz,
    ) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let code = normalize_code(input.code);
        if !(3..=32).contains(&code.len())
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            errors.push(FieldError {
                field: "code".into(),
                message: "Use 3 to 32 letters, digits, “-” or “_”, like SPRING-25.".into(),
            });
        }
        let discount = match input.discount {
            "none" => Some(Discount::None),
            "percent" => match input.amount.trim().trim_end_matches('%').parse::<i64>() {
                Ok(p) if (1..=100).contains(&p) => Some(Discount::Percent(p)),
                _ => {
                    errors.push(FieldError {
                        field: "amount".into(),
                        message: "Enter a percentage from 1 to 100.".into(),
                    });
                    None
                }
            },
            "fixed" => match super::Money::parse_major(input.amount, currency) {
                Ok(m) if m.minor() > 0 => Some(Discount::Fixed(m.minor())),
                _ => {
                    errors.push(FieldError {
                        field: "amount".into(),
                        message: format!("Enter the amount off in {}, like 5.00.", currency.code()),
                    });
                    None
                }
            },
            _ => {
                errors.push(FieldError {
                    field: "discount".into(),
                    message: "Choose what the code does.".into(),
                });
                None
            }
        };
        let ticket_types = picked(input.ticket_types, known, "ticket_types", &mut errors);
        let mut when = |field: &str, value: &str| {
            if value.trim().is_empty() {
                return None;
            }
            super::event_form::parse_local_time(value, tz)
                .map_err(|message| {
                    errors.push(FieldError {
                        field: field.into(),
                        message,
                    })
                })
                .ok()
        };
        let valid_from = when("valid_from", input.valid_from);
        let valid_until = when("valid_until", input.valid_until);
        if let (Some(from), Some(until)) = (valid_from, valid_until) {
            if until <= from {
                errors.push(FieldError {
                    field: "valid_until".into(),
                    message: "The end must come after the start.".into(),
                });
            }
        }
        let optional = |value: &str, field: &str, what: &str, errors: &mut Vec<FieldError>| {
            (!value.trim().is_empty())
                .then(|| whole(value, field, what, errors))
                .flatten()
        };
        let max_uses = optional(
            input.max_uses,
            "max_uses",
            "the number of uses",
            &mut errors,
        );
        let per_order = optional(
            input.per_order,
            "per_order",
            "the tickets per order",
            &mut errors,
        );
        finish(
            errors,
            discount.map(|discount| CodeForm {
                code,
                discount,
                ticket_types,
                valid_from,
                valid_until,
                max_uses,
                per_order,
            }),
        )
    }
}

/// The event page with a buyer's code: what it does, and the ticket types as the buyer
/// sees them with it (hidden ones it reveals included, prices lowered where it applies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeOffer {
    pub terms: CodeTerms,
    /// "SPRING-25: 25% off, on up to 2 tickets per order".
    pub label: String,
    pub ticket_types: Vec<super::TicketTypeView>,
}

/// A shared capacity as the organizer's panel and the dashboard show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaRow {
    pub id: String,
    pub name: String,
    pub ticket_types: Vec<String>,
    pub capacity: i64,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
}

/// A code as the organizer's panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRow {
    pub id: String,
    pub code: String,
    pub discount: String,
    pub ticket_types: Vec<String>,
    pub window: String,
    pub uses: i64,
    pub max_uses: Option<i64>,
    pub per_order: Option<i64>,
    pub active: bool,
    /// A link that opens the event page with the code applied.
    pub link: String,
}

/// A ticket type in the sales panel: id, name, hidden or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesTicketType {
    pub id: String,
    pub name: String,
    pub hidden: bool,
}

/// The organizer's sales panel of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesData {
    pub ticket_types: Vec<SalesTicketType>,
    pub quotas: Vec<QuotaRow>,
    pub codes: Vec<CodeRow>,
    /// The event's currency code, to type fixed amounts in.
    pub currency: String,
}

/// A waiting-list offer, as its link shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitlistOffer {
    /// Still held and not yet taken.
    pub open: bool,
    /// When the seat stops being held, in the event's zone.
    pub until: String,
    pub event_id: String,
    pub event_title: String,
    pub event_slug: String,
    pub ticket_type_id: String,
    pub type_name: String,
    pub price: Option<super::Money>,
    pub name: String,
    pub email: String,
    /// The questions the event asks at checkout.
    pub questions: Vec<super::question::Question>,
}

/// One person of an event's waiting list, as its organizer sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistRow {
    pub id: String,
    /// Their place in line while waiting.
    pub position: Option<usize>,
    pub name: String,
    pub email: String,
    pub type_name: String,
    /// waiting, offered, ordered, expired or removed.
    pub status: String,
    pub joined: String,
    pub offer_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistData {
    pub enabled: bool,
    pub rows: Vec<WaitlistRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_with_messages_per_field() {
        let known = vec!["t1".to_owned()];
        let input = |code, discount, amount| CodeInput {
            code,
            discount,
            amount,
            ticket_types: vec![],
            valid_from: "",
            valid_until: "",
            max_uses: "100",
            per_order: "",
        };
        let eur = crate::domain::Currency::parse("EUR").unwrap();
        let form = CodeForm::parse(
            input(" spring-25 ", "percent", "25"),
            &known,
            eur,
            chrono_tz::UTC,
        )
        .unwrap();
        assert_eq!(
            (form.code.as_str(), form.discount, form.max_uses),
            ("SPRING-25", Discount::Percent(25), Some(100))
        );
        let fixed =
            CodeForm::parse(input("TEN", "fixed", "10.50"), &known, eur, chrono_tz::UTC).unwrap();
        assert_eq!(fixed.discount, Discount::Fixed(1050));
        let bad =
            CodeForm::parse(input("x", "percent", "150"), &known, eur, chrono_tz::UTC).unwrap_err();
        assert!(bad.message_for("code").is_some() && bad.message_for("amount").is_some());
        let quota = QuotaForm::parse("Hall", "0", vec!["nope".into()], &known).unwrap_err();
        assert!(
            quota.message_for("capacity").is_some() && quota.message_for("ticket_types").is_some()
        );
    }
}
