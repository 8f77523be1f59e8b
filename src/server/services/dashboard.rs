//! The organizer dashboard, from counters the order transactions keep (event revenue and
//! paid orders, ticket type ledgers, sales per day) and indexed queries; never by reading
//! every order.
use super::catalog::{format_when, money};
use crate::domain::dashboard::{
    csv_line, DashboardData, EventSales, InventoryRow, OrganizerStats, RecentBooking, SalesDay,
};
use crate::domain::{EventStatus, Money, OrderStatus};
use crate::error::AppError;
use crate::server::db::DbError;
use crate::server::state::AppState;
use crate::vars;
use chrono::{DateTime, Duration, Utc};
use surrealdb::types::SurrealValue;

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EventCounters {
    id: String,
    slug: String,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    time_zone: String,
    status: String,
    currency: String,
    revenue_minor: Option<i64>,
    paid_orders: Option<i64>,
    ticket_types: Vec<LedgerRecord>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct LedgerRecord {
    name: String,
    sold: i64,
    held: i64,
    available: i64,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct BookingRecord {
    id: String,
    reference: String,
    buyer: String,
    event_title: String,
    tickets: i64,
    total_minor: i64,
    currency: String,
    status: String,
    created_at: DateTime<Utc>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct DayRecord {
    day: String,
    tickets: i64,
}

/// The dashboard of one organizer, or of the whole platform when `organizer` is `None`.
pub async fn dashboard(
    state: &AppState,
    organizer: Option<&str>,
    scope: String,
    now: DateTime<Utc>,
) -> Result<DashboardData, AppError> {
    load(state, organizer, scope, now)
        .await
        .map_err(AppError::internal)
}

async fn load(
    state: &AppState,
    organizer: Option<&str>,
    scope: String,
    now: DateTime<Utc>,
) -> Result<DashboardData, DbError> {
    let from = (now - Duration::days(29)).format("%Y-%m-%d").to_string();
    // One organizer's rows come through the organizer indexes; an `$organizer OR ...`
    // condition would hide them from the planner (100 ms instead of 1 ms at 50,000 orders).
    let mine = if organizer.is_some() {
        "WHERE organizer = type::record('user', $organizer)"
    } else {
        ""
    };
    let mine_and = if organizer.is_some() {
        "WHERE organizer = type::record('user', $organizer) AND"
    } else {
        "WHERE"
    };
    let sql = format!(
        "SELECT record::id(id) AS id, slug, title, starts_at, ends_at, time_zone, status,
            currency, revenue_minor, paid_orders, created_at,
            (SELECT name, sold, held, available, position FROM ticket_type
                WHERE event = $parent.id ORDER BY position) AS ticket_types
         FROM event {mine} ORDER BY starts_at ASC LIMIT 500;
         SELECT record::id(id) AS id, reference, buyer.name AS buyer, event.title AS event_title,
            math::sum(lines.quantity) AS tickets, total_minor, currency, status, created_at
         FROM purchase {mine} ORDER BY created_at DESC LIMIT 10;
         SELECT day, math::sum(tickets) AS tickets FROM sales_day {mine_and} day >= $from
         GROUP BY day;"
    );
    let mut response = state
        .db
        .execute(
            &sql,
            vars![("organizer", organizer.map(str::to_owned)), ("from", from)],
        )
        .await?;
    let events: Vec<EventCounters> = response.take(0).map_err(DbError::from_surreal)?;
    let bookings: Vec<BookingRecord> = response.take(1).map_err(DbError::from_surreal)?;
    let days: Vec<DayRecord> = response.take(2).map_err(DbError::from_surreal)?;

    let mut revenue: Vec<Money> = Vec::new();
    let mut tickets_sold = 0_u64;
    let mut paid_orders = 0_u64;
    let mut events_published = 0;
    let mut events_upcoming = 0;
    let mut event_rows = Vec::with_capacity(events.len());
    for e in events {
        let amount = money(e.revenue_minor.unwrap_or(0), &e.currency)
            .map_err(|err| DbError::Query(err.to_string()))?;
        match revenue
            .iter_mut()
            .find(|m| m.currency() == amount.currency())
        {
            Some(total) => *total = Money::new(total.minor() + amount.minor(), total.currency()),
            None => revenue.push(amount),
        }
        paid_orders += e.paid_orders.unwrap_or(0).max(0) as u64;
        tickets_sold += e
            .ticket_types
            .iter()
            .map(|t| t.sold.max(0) as u64)
            .sum::<u64>();
        let status = EventStatus::parse(&e.status).unwrap_or(EventStatus::Draft);
        if status == EventStatus::Published {
            events_published += 1;
            if e.ends_at > now {
                events_upcoming += 1;
            }
        }
        event_rows.push(EventSales {
            when: format_when(e.starts_at, &e.time_zone),
            revenue: amount,
            ticket_types: e
                .ticket_types
                .into_iter()
                .map(|t| InventoryRow {
                    name: t.name,
                    sold: t.sold.max(0) as u32,
                    held: t.held.max(0) as u32,
                    available: t.available.max(0) as u32,
                })
                .collect(),
            id: e.id,
            slug: e.slug,
            title: e.title,
            status,
        });
    }
    revenue.sort_by(|a, b| a.currency().code().cmp(b.currency().code()));

    let recent = bookings
        .into_iter()
        .map(|b| {
            Ok(RecentBooking {
                amount: money(b.total_minor, &b.currency)
                    .map_err(|err| DbError::Query(err.to_string()))?,
                status: OrderStatus::parse(&b.status).unwrap_or(OrderStatus::Pending),
                when: b.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
                tickets: b.tickets.max(0) as u32,
                order_id: b.id,
                reference: b.reference,
                buyer: b.buyer,
                event_title: b.event_title,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;

    let sales = (0..30)
        .map(|offset| {
            let day = (now - Duration::days(29 - offset))
                .format("%Y-%m-%d")
                .to_string();
            let tickets = days
                .iter()
                .find(|d| d.day == day)
                .map(|d| d.tickets)
                .unwrap_or(0);
            SalesDay { day, tickets }
        })
        .collect();

    Ok(DashboardData {
        scope,
        stats: OrganizerStats {
            revenue,
            tickets_sold,
            paid_orders,
            events_published,
            events_upcoming,
        },
        recent,
        sales,
        events: event_rows,
    })
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct OrderCsvRecord {
    reference: String,
    buyer_name: String,
    buyer_email: String,
    status: String,
    tickets: i64,
    total_minor: i64,
    currency: String,
    created_at: DateTime<Utc>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct AttendeeCsvRecord {
    reference: String,
    holder_name: String,
    buyer_email: String,
    type_name: String,
    status: String,
    order_reference: String,
}

/// `orders` or `attendees` of one event as CSV.
pub async fn export_csv(state: &AppState, event_id: &str, what: &str) -> Result<String, AppError> {
    let csv = match what {
        "orders" => {
            let mut response = state
                .db
                .execute(
                    "SELECT reference, buyer.name AS buyer_name, buyer.email AS buyer_email,
                        status, math::sum(lines.quantity) AS tickets, total_minor, currency,
                        created_at
                     FROM purchase WHERE event = type::record('event', $event)
                     ORDER BY created_at ASC",
                    vars![("event", event_id.to_owned())],
                )
                .await
                .map_err(AppError::internal)?;
            let rows: Vec<OrderCsvRecord> = response
                .take(0)
                .map_err(|e| AppError::internal(DbError::from_surreal(e)))?;
            let mut out = csv_line(&[
                "order",
                "buyer",
                "email",
                "status",
                "tickets",
                "total",
                "currency",
                "placed_at_utc",
            ]);
            for r in rows {
                let total = money(r.total_minor, &r.currency)?.format_plain();
                out.push_str(&csv_line(&[
                    r.reference,
                    r.buyer_name,
                    r.buyer_email,
                    r.status,
                    r.tickets.to_string(),
                    total,
                    r.currency,
                    r.created_at.to_rfc3339(),
                ]));
            }
            out
        }
        "attendees" => {
            let mut response = state
                .db
                .execute(
                    "SELECT reference, holder_name, purchase.buyer.email AS buyer_email,
                        ticket_type.name AS type_name, status,
                        purchase.reference AS order_reference, created_at
                     FROM ticket WHERE event = type::record('event', $event)
                     ORDER BY created_at ASC",
                    vars![("event", event_id.to_owned())],
                )
                .await
                .map_err(AppError::internal)?;
            let rows: Vec<AttendeeCsvRecord> = response
                .take(0)
                .map_err(|e| AppError::internal(DbError::from_surreal(e)))?;
            let mut out = csv_line(&["ticket", "name", "email", "ticket_type", "status", "order"]);
            for r in rows {
                out.push_str(&csv_line(&[
                    r.reference,
                    r.holder_name,
                    r.buyer_email,
                    r.type_name,
                    r.status,
                    r.order_reference,
                ]));
            }
            out
        }
        _ => return Err(AppError::NotFound("export".into())),
    };
    Ok(csv)
}
