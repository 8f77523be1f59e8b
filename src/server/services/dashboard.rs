//! The organizer dashboard, from counters the order transactions keep (event revenue and
//! paid orders, ticket type ledgers, sales per day) and indexed queries; never by reading
//! every order.
use crate::domain::dashboard::{
    csv_line, DashboardData, EventSales, InventoryRow, OrganizerStats, RecentBooking, SalesDay,
};
use crate::error::AppError;
use crate::server::auth::guard::may_manage;
use crate::server::auth::session::CurrentUser;
use crate::server::db::dashboard::{DashboardRepo, DashboardRows};
use crate::server::db::questions::QuestionRepo;
use crate::server::db::{DbError, EventRepo};
use crate::server::format::{format_when, money};
use crate::server::services::questions::answer_for;
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};

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
    let DashboardRows {
        totals,
        tickets_sold,
        events,
        bookings,
        days,
    } = DashboardRepo(&state.db).load(organizer, &from, now).await?;

    let mut revenue = Vec::with_capacity(totals.len());
    let mut stats = OrganizerStats {
        revenue: Vec::new(),
        tickets_sold: tickets_sold.max(0) as u64,
        paid_orders: 0,
        events_published: 0,
        events_upcoming: 0,
        events_total: 0,
    };
    for total in &totals {
        let amount = money(total.revenue_minor, &total.currency)
            .map_err(|err| DbError::Query(err.to_string()))?;
        revenue.push(amount);
        stats.paid_orders += total.paid_orders.max(0) as u64;
        stats.events_total += total.events.max(0) as u64;
        stats.events_published += total.published.max(0) as u32;
        stats.events_upcoming += total.upcoming.max(0) as u32;
    }
    revenue.sort_by(|a, b| a.currency().code().cmp(b.currency().code()));
    stats.revenue = revenue;

    let mut event_rows = Vec::with_capacity(events.len());
    for e in events {
        let amount = money(e.revenue_minor.unwrap_or(0), &e.currency)
            .map_err(|err| DbError::Query(err.to_string()))?;
        event_rows.push(EventSales {
            when: format_when(e.starts_at, &e.time_zone),
            revenue: amount,
            ticket_types: e
                .ticket_types
                .into_iter()
                .chain(e.shared)
                .map(|t| InventoryRow {
                    name: t.name,
                    sold: t.sold.max(0) as u32,
                    held: t.held.max(0) as u32,
                    available: t.available.max(0) as u32,
                    checked_in: t.checked_in.max(0) as u32,
                })
                .collect(),
            id: e.id,
            slug: e.slug,
            title: e.title,
            status: e.status,
        });
    }

    let recent = bookings
        .into_iter()
        .map(|b| {
            Ok(RecentBooking {
                amount: money(b.total_minor, &b.currency)
                    .map_err(|err| DbError::Query(err.to_string()))?,
                status: b.status,
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
        stats,
        recent,
        sales,
        events: event_rows,
    })
}

/// A CSV download: its file name and its text.
pub struct CsvExport {
    pub file_name: String,
    pub csv: String,
}

/// `orders` or `attendees` of one event as CSV, for its organizer or an admin.
pub async fn export_csv(
    state: &AppState,
    user: &CurrentUser,
    event_id: &str,
    what: &str,
) -> Result<CsvExport, AppError> {
    let (event, _) = EventRepo(&state.db)
        .find_by_id(event_id)
        .await
        .map_err(AppError::internal)?
        .filter(|(event, _)| may_manage(user, &event.organizer))
        .ok_or_else(|| AppError::NotFound("event".into()))?;
    let csv = match what {
        "orders" => {
            let rows = DashboardRepo(&state.db)
                .orders_for_export(event_id)
                .await
                .map_err(AppError::internal)?;
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
                    r.status.as_str().to_owned(),
                    r.tickets.to_string(),
                    total,
                    r.currency,
                    r.created_at.to_rfc3339(),
                ]));
            }
            out
        }
        "attendees" => {
            let rows = DashboardRepo(&state.db)
                .attendees_for_export(event_id)
                .await
                .map_err(AppError::internal)?;
            // One column per question, hidden ones too: their answers are kept.
            let questions = QuestionRepo(&state.db)
                .of_event(event_id)
                .await
                .map_err(AppError::internal)?;
            let mut header: Vec<String> = [
                "ticket",
                "name",
                "email",
                "ticket_type",
                "status",
                "order",
                "checked_in_at_utc",
                "door",
                "holder_email",
            ]
            .map(str::to_owned)
            .to_vec();
            header.extend(questions.iter().map(|q| q.label.clone()));
            let mut out = csv_line(&header);
            for r in rows {
                let mut line = vec![
                    r.reference,
                    r.holder_name,
                    r.buyer_email,
                    r.type_name,
                    r.status.as_str().to_owned(),
                    r.order_reference,
                    r.checked_in_at
                        .map(|at| at.to_rfc3339())
                        .unwrap_or_default(),
                    r.checked_in_by.unwrap_or_default(),
                    r.holder_email.unwrap_or_default(),
                ];
                line.extend(
                    questions
                        .iter()
                        .map(|q| answer_for(&q.id, &r.answers, &r.order_answers)),
                );
                out.push_str(&csv_line(&line));
            }
            out
        }
        _ => return Err(AppError::NotFound("export".into())),
    };
    Ok(CsvExport {
        file_name: format!("{}-{what}.csv", event.slug),
        csv,
    })
}
