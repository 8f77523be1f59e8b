//! A buyer's ticket selection, parsed at the edge against the event's ticket types: after
//! [`Selection::parse`] every line exists, is on sale, respects its type's min and max and
//! appears once, and the order stays within [`MAX_TICKETS_PER_ORDER`]. The purchase
//! service only ever sees a valid selection.
use super::{CheckoutLine, EventStatus, MAX_TICKETS_PER_ORDER};
use crate::error::AppError;
use chrono::{DateTime, Utc};

/// The event as checkout needs it.
#[derive(Debug, Clone, Copy)]
pub struct EventOffer {
    pub status: EventStatus,
    pub ends_at: DateTime<Utc>,
}

/// A ticket type as checkout needs it.
#[derive(Debug, Clone, Copy)]
pub struct TicketOffer<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub price_minor: i64,
    pub min_per_order: i64,
    pub max_per_order: i64,
    pub sale_starts_at: Option<DateTime<Utc>>,
    pub sale_ends_at: Option<DateTime<Utc>>,
}

/// One line of a valid selection, priced as the ticket type is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedLine {
    pub ticket_type_id: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
}

/// A selection that passed every rule; lines keep the buyer's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    lines: Vec<SelectedLine>,
}

/// Why a selection cannot be bought: the catalogue of messages a buyer may see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    #[error("Tickets for this event are not on sale.")]
    EventNotOnSale,
    #[error("That ticket type does not exist.")]
    UnknownTicketType,
    #[error("“{0}” is not on sale right now.")]
    TicketNotOnSale(String),
    #[error("Choose between {min} and {max} “{name}” tickets.")]
    QuantityOutOfRange { name: String, min: i64, max: i64 },
    #[error("Each ticket type may appear once.")]
    RepeatedTicketType,
    #[error("Choose at least one ticket.")]
    NothingChosen,
    #[error("One order can hold at most {MAX_TICKETS_PER_ORDER} tickets.")]
    TooManyTickets,
}

impl From<CheckoutError> for AppError {
    fn from(error: CheckoutError) -> Self {
        AppError::Validation(error.to_string())
    }
}

impl Selection {
    /// Checks `requested` (lines with quantity 0 are ignored) against the event and its
    /// ticket types at `now`.
    pub fn parse(
        requested: &[CheckoutLine],
        event: EventOffer,
        offers: &[TicketOffer<'_>],
        now: DateTime<Utc>,
    ) -> Result<Self, CheckoutError> {
        if event.status != EventStatus::Published || event.ends_at <= now {
            return Err(CheckoutError::EventNotOnSale);
        }
        let mut lines: Vec<SelectedLine> = Vec::new();
        let mut total = 0_u32;
        for line in requested.iter().filter(|l| l.quantity > 0) {
            let offer = offers
                .iter()
                .find(|t| t.id == line.ticket_type_id)
                .ok_or(CheckoutError::UnknownTicketType)?;
            if offer.sale_starts_at.is_some_and(|s| s > now)
                || offer.sale_ends_at.is_some_and(|e| e <= now)
            {
                return Err(CheckoutError::TicketNotOnSale(offer.name.to_owned()));
            }
            let quantity = i64::from(line.quantity);
            if quantity < offer.min_per_order || quantity > offer.max_per_order {
                return Err(CheckoutError::QuantityOutOfRange {
                    name: offer.name.to_owned(),
                    min: offer.min_per_order,
                    max: offer.max_per_order,
                });
            }
            if lines.iter().any(|l| l.ticket_type_id == offer.id) {
                return Err(CheckoutError::RepeatedTicketType);
            }
            total = total.saturating_add(line.quantity);
            lines.push(SelectedLine {
                ticket_type_id: offer.id.to_owned(),
                name: offer.name.to_owned(),
                quantity: line.quantity,
                unit_price_minor: offer.price_minor,
            });
        }
        if lines.is_empty() {
            return Err(CheckoutError::NothingChosen);
        }
        if total > MAX_TICKETS_PER_ORDER {
            return Err(CheckoutError::TooManyTickets);
        }
        Ok(Selection { lines })
    }

    pub fn lines(&self) -> &[SelectedLine] {
        &self.lines
    }

    /// What the order costs, in the event currency's minor units.
    pub fn total_minor(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.unit_price_minor * i64::from(l.quantity))
            .sum()
    }

    pub fn ticket_type_ids(&self) -> Vec<&str> {
        self.lines
            .iter()
            .map(|l| l.ticket_type_id.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn on_sale() -> EventOffer {
        EventOffer {
            status: EventStatus::Published,
            ends_at: now() + Duration::days(1),
        }
    }

    fn offer(id: &'static str, max: i64) -> TicketOffer<'static> {
        TicketOffer {
            id,
            name: id,
            price_minor: 2500,
            min_per_order: 1,
            max_per_order: max,
            sale_starts_at: None,
            sale_ends_at: None,
        }
    }

    fn line(id: &str, quantity: u32) -> CheckoutLine {
        CheckoutLine {
            ticket_type_id: id.to_owned(),
            quantity,
        }
    }

    fn parse(
        lines: &[CheckoutLine],
        offers: &[TicketOffer<'_>],
    ) -> Result<Selection, CheckoutError> {
        Selection::parse(lines, on_sale(), offers, now())
    }

    #[test]
    fn a_valid_selection_is_priced_and_keeps_its_order() {
        let offers = [offer("a", 10), offer("b", 10)];
        let selection = parse(&[line("b", 2), line("a", 0), line("a", 1)], &offers).unwrap();
        assert_eq!(selection.ticket_type_ids(), vec!["b", "a"]);
        assert_eq!(selection.total_minor(), 7500);
    }

    #[test]
    fn each_rule_has_its_own_message() {
        let offers = [offer("a", 4)];
        assert_eq!(parse(&[], &offers), Err(CheckoutError::NothingChosen));
        assert_eq!(
            parse(&[line("zzz", 1)], &offers),
            Err(CheckoutError::UnknownTicketType)
        );
        assert_eq!(
            parse(&[line("a", 5)], &offers).unwrap_err().to_string(),
            "Choose between 1 and 4 “a” tickets."
        );
        assert_eq!(
            parse(&[line("a", 1), line("a", 1)], &offers),
            Err(CheckoutError::RepeatedTicketType)
        );
        let mut later = offer("a", 4);
        later.sale_starts_at = Some(now() + Duration::hours(1));
        assert_eq!(
            parse(&[line("a", 1)], &[later]),
            Err(CheckoutError::TicketNotOnSale("a".into()))
        );
        let mut draft = on_sale();
        draft.status = EventStatus::Draft;
        assert_eq!(
            Selection::parse(&[line("a", 1)], draft, &offers, now()),
            Err(CheckoutError::EventNotOnSale)
        );
        let many = [offer("a", 40), offer("b", 40)];
        assert_eq!(
            parse(&[line("a", 30), line("b", 30)], &many),
            Err(CheckoutError::TooManyTickets)
        );
    }

    proptest! {
        /// Whatever is asked for, a selection that parses obeys every rule.
        #[test]
        fn a_parsed_selection_obeys_every_rule(
            asked in proptest::collection::vec((0_usize..4, 0_u32..60), 0..6),
        ) {
            let offers = [offer("a", 20), offer("b", 30), offer("c", 50)];
            let ids = ["a", "b", "c", "unknown"];
            let requested: Vec<CheckoutLine> =
                asked.iter().map(|(i, q)| line(ids[*i], *q)).collect();
            if let Ok(selection) = parse(&requested, &offers) {
                let total: u32 = selection.lines().iter().map(|l| l.quantity).sum();
                prop_assert!((1..=MAX_TICKETS_PER_ORDER).contains(&total));
                let mut seen = selection.ticket_type_ids();
                seen.sort_unstable();
                seen.dedup();
                prop_assert_eq!(seen.len(), selection.lines().len());
                for l in selection.lines() {
                    let o = offers.iter().find(|o| o.id == l.ticket_type_id).unwrap();
                    prop_assert!(i64::from(l.quantity) >= o.min_per_order);
                    prop_assert!(i64::from(l.quantity) <= o.max_per_order);
                }
            }
        }
    }
}
