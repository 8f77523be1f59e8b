use super::guard::OrganizerOnly;
use super::ErrorPanel;
use crate::api::dashboard::get_dashboard;
use crate::domain::dashboard::{DashboardData, EventSales, InventoryRow, RecentBooking, SalesDay};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <OrganizerOnly>
            <DashboardContent />
        </OrganizerOnly>
    }
}

#[component]
fn DashboardContent() -> impl IntoView {
    let query = use_query_map();
    // Live on the night: sales and check-ins move while the page is open.
    let tick = super::use_ticker(std::time::Duration::from_secs(10));
    let data = Resource::new(
        move || (query.read().get("organizer"), tick.get()),
        |(organizer, _)| get_dashboard(organizer),
    );
    view! {
        <header class="page-header page-header-actions">
            <h1>"Dashboard"</h1>
            <a class="button" href="/dashboard/events/new">"Create event"</a>
        </header>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading your numbers…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <DashboardView data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DashboardView(data: DashboardData) -> impl IntoView {
    let revenue = if data.stats.revenue.is_empty() {
        "0".to_owned()
    } else {
        data.stats
            .revenue
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let metrics = vec![
        ("Revenue", revenue),
        ("Tickets sold", data.stats.tickets_sold.to_string()),
        ("Paid orders", data.stats.paid_orders.to_string()),
        ("Events published", data.stats.events_published.to_string()),
        ("Upcoming events", data.stats.events_upcoming.to_string()),
    ];
    view! {
        <p class="muted">{data.scope}</p>
        <MetricGrid metrics />
        <div class="dashboard-columns">
            <SalesChart days=data.sales />
            <BookingsTable bookings=data.recent />
        </div>
        <EventsTable events=data.events total=data.stats.events_total />
    }
}

#[component]
fn MetricGrid(metrics: Vec<(&'static str, String)>) -> impl IntoView {
    view! {
        <ul class="metric-grid" aria-label="Key numbers">
            {metrics
                .into_iter()
                .map(|(label, value)| view! {
                    <li class="panel metric" data-metric=label>
                        <span class="metric-label">{label}</span>
                        <strong class="metric-value">{value}</strong>
                    </li>
                })
                .collect_view()}
        </ul>
    }
}

/// Tickets sold per day as an SVG bar chart drawn on the server; each bar has a title and
/// the chart a text summary, so it reads without JavaScript or sight.
#[component]
fn SalesChart(days: Vec<SalesDay>) -> impl IntoView {
    let max = days.iter().map(|d| d.tickets).max().unwrap_or(0).max(1);
    let total: i64 = days.iter().map(|d| d.tickets).sum();
    let (width, height, bar) = (300_i64, 100_i64, 10_i64);
    let summary = format!("{total} tickets sold in the last 30 days");
    view! {
        <section class="panel" aria-labelledby="sales-heading">
            <h2 id="sales-heading">"Sales, last 30 days"</h2>
            <svg class="sales-chart" viewBox=format!("0 0 {width} {height}") role="img" aria-label=summary.clone()>
                {days
                    .iter()
                    .enumerate()
                    .map(|(i, d)| {
                        let h = (d.tickets.max(0) * (height - 4)) / max;
                        let (x, y, w) = (i as i64 * bar, height - h, bar - 2);
                        view! {
                            <rect x=x y=y width=w height=h class="bar">
                                <title>{format!("{}: {} tickets", d.day, d.tickets)}</title>
                            </rect>
                        }
                    })
                    .collect_view()}
            </svg>
            <p class="muted small">{summary}</p>
        </section>
    }
}

#[component]
fn BookingsTable(bookings: Vec<RecentBooking>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="bookings-heading">
            <h2 id="bookings-heading">"Recent bookings"</h2>
            {if bookings.is_empty() {
                view! { <p class="muted">"No bookings yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table aria-labelledby="bookings-heading">
                            <thead><tr>
                                <th scope="col">"Buyer"</th><th scope="col">"Event"</th>
                                <th scope="col" class="num">"Tickets"</th><th scope="col" class="num">"Amount"</th>
                                <th scope="col">"Status"</th><th scope="col">"When"</th>
                            </tr></thead>
                            <tbody>
                                {bookings.into_iter().map(|b| view! {
                                    <tr>
                                        <td><a href=format!("/dashboard/orders/{}", b.order_id) aria-label=format!("Order {} by {}", b.reference, b.buyer)>{b.buyer.clone()}</a></td>
                                        <td>{b.event_title}</td>
                                        <td class="num">{b.tickets}</td>
                                        <td class="num">{b.amount.to_string()}</td>
                                        <td><span class=format!("badge badge-{}", b.status.as_str())>{b.status.as_str()}</span></td>
                                        <td>{b.when}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn EventsTable(events: Vec<EventSales>, total: u64) -> impl IntoView {
    let shown = events.len() as u64;
    view! {
        <section class="panel" aria-labelledby="my-events">
            <h2 id="my-events">"Your events"</h2>
            {(total > shown).then(|| view! {
                <p class="muted small">{format!("The first {shown} of {total} events by date; the totals above count them all.")}</p>
            })}
            {if events.is_empty() {
                view! {
                    <p class="muted">"You have no events yet. "
                        <a href="/dashboard/events/new">"Create your first event"</a>"."</p>
                }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table>
                            <thead><tr>
                                <th scope="col">"Event"</th><th scope="col">"Date"</th>
                                <th scope="col">"Status"</th><th scope="col" class="num">"Revenue"</th>
                                <th scope="col">"Tickets (sold / held / left, checked in)"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {events.into_iter().map(|e| {
                                    let edit = format!("/dashboard/events/{}", e.id);
                                    let sales = format!("/dashboard/events/{}/orders", e.id);
                                    view! {
                                        <tr>
                                            <td><a href=format!("/events/{}", e.slug)>{e.title.clone()}</a></td>
                                            <td>{e.when}</td>
                                            <td><span class=format!("badge badge-{}", e.status.as_str())>{e.status.as_str()}</span></td>
                                            <td class="num">{e.revenue.to_string()}</td>
                                            <td>{e.ticket_types.into_iter().map(|t| view! { <InventoryBar row=t /> }).collect_view()}</td>
                                            <td class="actions-cell">
                                                <a href=edit aria-label=format!("Edit {}", e.title)>"Edit"</a>
                                                <a href=sales aria-label=format!("Orders of {}", e.title)>"Orders"</a>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Sold, held and available of one ticket type as one stacked bar (SVG: the page CSP
/// allows no inline styles).
#[component]
fn InventoryBar(row: InventoryRow) -> impl IntoView {
    let capacity = (row.sold + row.held + row.available).max(1);
    let scale = |n: u32| f64::from(n) * 100.0 / f64::from(capacity);
    let (sold, held) = (scale(row.sold), scale(row.held));
    let label = format!(
        "{}: {} sold, {} held, {} left, {} checked in",
        row.name, row.sold, row.held, row.available, row.checked_in
    );
    view! {
        <div class="inventory">
            <span class="small" data-checked-in=row.checked_in>
                {format!("{} {} / {} / {}, {} in", row.name, row.sold, row.held, row.available, row.checked_in)}
            </span>
            <svg class="inventory-bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label=label>
                <rect x="0" y="0" width="100" height="6" class="free" />
                <rect x="0" y="0" width=sold height="6" class="sold" />
                <rect x=sold y="0" width=held height="6" class="held" />
            </svg>
        </div>
    }
}
