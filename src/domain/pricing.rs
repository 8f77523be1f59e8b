//! What a promo code does to prices: the discount per ticket, and the order's lines with
//! it applied (a per-order limit splits a line where it falls).
use super::{Currency, Money, SelectedLine};
use serde::{Deserialize, Serialize};

/// What a code takes off each ticket it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discount {
    /// An access code only: it reveals hidden ticket types at their price.
    None,
    /// 1 to 100 percent of the price (the amount off rounded to the nearest minor unit).
    Percent(i64),
    /// This many minor units off each ticket, never below zero.
    Fixed(i64),
}

impl Discount {
    /// The price of one ticket after the discount: between zero and the price.
    pub fn apply(self, price_minor: i64) -> i64 {
        let off = match self {
            Discount::None => 0,
            Discount::Percent(p) => (price_minor * p.clamp(0, 100) + 50) / 100,
            Discount::Fixed(amount) => amount.max(0),
        };
        (price_minor - off).clamp(0, price_minor.max(0))
    }

    /// How the organizer and the buyer read it: "20% off", "€5.00 off".
    pub fn label(self, currency: Currency) -> String {
        match self {
            Discount::None => "access code".into(),
            Discount::Percent(p) => format!("{p}% off"),
            Discount::Fixed(minor) => format!("{} off", Money::new(minor, currency)),
        }
    }

    /// As stored: kind and value.
    pub fn parts(self) -> (&'static str, i64) {
        match self {
            Discount::None => ("none", 0),
            Discount::Percent(p) => ("percent", p),
            Discount::Fixed(m) => ("fixed", m),
        }
    }

    pub fn from_parts(kind: &str, value: i64) -> Option<Self> {
        match kind {
            "none" => Some(Discount::None),
            "percent" if (1..=100).contains(&value) => Some(Discount::Percent(value)),
            "fixed" if value > 0 => Some(Discount::Fixed(value)),
            _ => None,
        }
    }
}

/// A code as checkout applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeTerms {
    pub code: String,
    pub discount: Discount,
    pub ticket_types: Vec<String>,
    pub per_order: Option<i64>,
}

impl CodeTerms {
    pub fn applies_to(&self, ticket_type: &str) -> bool {
        self.ticket_types.is_empty() || self.ticket_types.iter().any(|t| t == ticket_type)
    }
}

/// One line of an order: `quantity` tickets at `unit_price_minor`, and the price before
/// the code when a code lowered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub ticket_type_id: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
    pub list_price_minor: Option<i64>,
}

/// The order's lines with `terms` applied: the first `per_order` tickets it applies to are
/// discounted (a line split in two where the limit falls), the rest keep their price.
pub fn price_lines(lines: &[SelectedLine], terms: Option<&CodeTerms>) -> Vec<PricedLine> {
    let mut left = terms.map_or(0, |t| t.per_order.unwrap_or(i64::MAX));
    let mut out = Vec::with_capacity(lines.len() + 1);
    for line in lines {
        let plain = PricedLine {
            ticket_type_id: line.ticket_type_id.clone(),
            name: line.name.clone(),
            quantity: line.quantity,
            unit_price_minor: line.unit_price_minor,
            list_price_minor: None,
        };
        let Some(terms) = terms.filter(|t| {
            t.applies_to(&line.ticket_type_id)
                && t.discount.apply(line.unit_price_minor) < line.unit_price_minor
        }) else {
            out.push(plain);
            continue;
        };
        let discounted = i64::from(line.quantity).min(left.max(0));
        left -= discounted;
        if discounted > 0 {
            out.push(PricedLine {
                name: format!("{} (code {})", line.name, terms.code),
                quantity: discounted as u32,
                unit_price_minor: terms.discount.apply(line.unit_price_minor),
                list_price_minor: Some(line.unit_price_minor),
                ..plain.clone()
            });
        }
        if i64::from(line.quantity) > discounted {
            out.push(PricedLine {
                quantity: line.quantity - discounted as u32,
                ..plain
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(id: &str, quantity: u32, price: i64) -> SelectedLine {
        SelectedLine {
            ticket_type_id: id.into(),
            name: id.into(),
            quantity,
            unit_price_minor: price,
        }
    }

    fn terms(discount: Discount, types: &[&str], per_order: Option<i64>) -> CodeTerms {
        CodeTerms {
            code: "SPRING".into(),
            discount,
            ticket_types: types.iter().map(|t| (*t).to_owned()).collect(),
            per_order,
        }
    }

    #[test]
    fn discounts_round_to_the_nearest_minor_unit_and_never_go_below_zero() {
        assert_eq!(Discount::Percent(20).apply(2500), 2000);
        assert_eq!(Discount::Percent(33).apply(999), 669);
        assert_eq!(Discount::Percent(100).apply(2500), 0);
        assert_eq!(Discount::Fixed(500).apply(2500), 2000);
        assert_eq!(Discount::Fixed(5000).apply(2500), 0);
        assert_eq!(Discount::None.apply(2500), 2500);
    }

    #[test]
    fn a_per_order_limit_splits_the_line_where_it_falls() {
        let t = terms(Discount::Percent(50), &["a"], Some(3));
        let priced = price_lines(&[line("b", 2, 1000), line("a", 5, 1000)], Some(&t));
        let shape: Vec<(&str, u32, i64, Option<i64>)> = priced
            .iter()
            .map(|l| {
                (
                    l.ticket_type_id.as_str(),
                    l.quantity,
                    l.unit_price_minor,
                    l.list_price_minor,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("b", 2, 1000, None),
                ("a", 3, 500, Some(1000)),
                ("a", 2, 1000, None)
            ]
        );
        assert_eq!(priced[1].name, "a (code SPRING)");
    }

    proptest! {
        #[test]
        fn priced_lines_keep_every_ticket_and_never_charge_more(
            quantities in proptest::collection::vec(1u32..20, 1..4),
            price in 0i64..100_000,
            percent in 1i64..=100,
            fixed in 1i64..200_000,
            per_order in proptest::option::of(0i64..30),
            use_fixed: bool,
        ) {
            let lines: Vec<SelectedLine> = quantities
                .iter()
                .enumerate()
                .map(|(i, q)| line(&format!("t{i}"), *q, price + i as i64))
                .collect();
            let discount = if use_fixed { Discount::Fixed(fixed) } else { Discount::Percent(percent) };
            let t = terms(discount, &[], per_order);
            let priced = price_lines(&lines, Some(&t));
            let count = |ls: &[PricedLine], id: &str| ls.iter().filter(|l| l.ticket_type_id == id).map(|l| l.quantity).sum::<u32>();
            for l in &lines {
                prop_assert_eq!(count(&priced, &l.ticket_type_id), l.quantity);
            }
            let total: i64 = priced.iter().map(|l| l.unit_price_minor * i64::from(l.quantity)).sum();
            let before: i64 = lines.iter().map(|l| l.unit_price_minor * i64::from(l.quantity)).sum();
            prop_assert!(total >= 0 && total <= before);
            let discounted: i64 = priced.iter().filter(|l| l.list_price_minor.is_some()).map(|l| i64::from(l.quantity)).sum();
            prop_assert!(discounted <= per_order.unwrap_or(i64::MAX));
            prop_assert!(priced.iter().all(|l| l.quantity > 0));
        }
    }
}
