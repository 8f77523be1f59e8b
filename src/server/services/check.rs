//! `tickex check`: reads the database and reports every broken invariant of the purchase
//! path. It trusts nothing the order code keeps: each rule is recomputed from the rows.
use crate::server::db::check::{CheckRepo, CheckRows};
use crate::server::db::{Db, DbError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// Every violation found, as one line each; empty when the database is consistent.
/// `sweep_period` is how long a lapsed hold may wait for the sweeper.
pub async fn check(
    db: &Db,
    now: DateTime<Utc>,
    sweep_period: Duration,
) -> Result<Vec<String>, DbError> {
    let CheckRows {
        ledgers,
        issued,
        pending,
        paid,
        codes,
        lapsed,
        quotas,
        code_uses,
    } = CheckRepo(db).read(now - sweep_period).await?;

    let issued: HashMap<String, i64> = issued.into_iter().map(|c| (c.key, c.n)).collect();
    let mut held: HashMap<String, i64> = HashMap::new();
    for line in pending {
        *held.entry(line.ticket_type).or_default() += line.quantity;
    }
    let mut violations = Vec::new();
    for t in &ledgers {
        let label = format!("ticket type {} ({})", t.id, t.name);
        if t.available < 0 || t.held < 0 || t.sold < 0 {
            violations.push(format!(
                "{label}: negative counter (available {}, held {}, sold {})",
                t.available, t.held, t.sold
            ));
        }
        if t.available + t.held + t.sold != t.capacity {
            violations.push(format!(
                "{label}: available {} + held {} + sold {} != capacity {}",
                t.available, t.held, t.sold, t.capacity
            ));
        }
        let tickets = issued.get(&t.id).copied().unwrap_or(0);
        if t.sold != tickets {
            violations.push(format!(
                "{label}: sold {} but {tickets} valid or checked-in tickets",
                t.sold
            ));
        }
        let pending_seats = held.get(&t.id).copied().unwrap_or(0);
        if t.held != pending_seats {
            violations.push(format!(
                "{label}: held {} but pending orders hold {pending_seats}",
                t.held
            ));
        }
    }
    for q in &quotas {
        let label = format!("shared capacity {} ({})", q.id, q.name);
        let sum = |counts: &HashMap<String, i64>| -> i64 {
            q.members
                .iter()
                .map(|m| counts.get(m).copied().unwrap_or(0))
                .sum()
        };
        let (held_seats, sold_seats) = (sum(&held), sum(&issued));
        if q.available < 0 || q.held < 0 || q.sold < 0 {
            violations.push(format!(
                "{label}: negative counter (available {}, held {}, sold {})",
                q.available, q.held, q.sold
            ));
        }
        if q.available + q.held + q.sold != q.capacity {
            violations.push(format!(
                "{label}: available {} + held {} + sold {} != capacity {}",
                q.available, q.held, q.sold, q.capacity
            ));
        }
        if q.held != held_seats || q.sold != sold_seats {
            violations.push(format!(
                "{label}: held {} and sold {}, but its ticket types hold {held_seats} and sold {sold_seats}",
                q.held, q.sold
            ));
        }
    }
    for c in code_uses {
        if c.uses != c.orders {
            violations.push(format!(
                "code {}: {} uses counted but {} orders use it",
                c.code, c.uses, c.orders
            ));
        }
        if c.max_uses.is_some_and(|max| c.uses > max) {
            violations.push(format!(
                "code {}: used {} times, more than its limit {}",
                c.code,
                c.uses,
                c.max_uses.unwrap_or_default()
            ));
        }
    }
    for order in paid {
        if order.tickets != order.seats {
            violations.push(format!(
                "paid order {}: {} seats but {} tickets",
                order.reference, order.seats, order.tickets
            ));
        }
        if order.emails == 0 {
            violations.push(format!(
                "paid order {}: no ticket email in the outbox",
                order.reference
            ));
        }
    }
    for code in codes.into_iter().filter(|c| c.n > 1) {
        violations.push(format!(
            "ticket code {}…: used by {} tickets",
            code.key.chars().take(6).collect::<String>(),
            code.n
        ));
    }
    for order in lapsed {
        violations.push(format!(
            "pending order {}: hold lapsed at {} and the sweeper has not expired it",
            order.reference,
            order.hold_expires_at.to_rfc3339()
        ));
    }
    Ok(violations)
}
