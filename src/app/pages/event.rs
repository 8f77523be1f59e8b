use super::ErrorPanel;
use crate::api::events::get_event;
use crate::domain::{EventDetail, EventStatus, Money, TicketTypeView};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let event = Resource::new(slug, get_event);
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading event…"</p> }>
            {move || Suspend::new(async move {
                match event.await {
                    Ok(event) => view! { <EventView event /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EventView(event: EventDetail) -> impl IntoView {
    let paragraphs = event
        .description
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| view! { <p>{p.to_owned()}</p> })
        .collect_view();
    let cancelled = event.status == EventStatus::Cancelled;
    let place = if event.address.is_empty() {
        event.venue.clone()
    } else {
        format!("{}, {}", event.venue, event.address)
    };
    view! {
        <Title text=event.title.clone() />
        <Meta name="description" content=format!("{} · {}", event.when, place) />
        <article class="event-page">
            <header class="event-header">
                <p class="event-when">{event.when.clone()}</p>
                <h1>{event.title.clone()}</h1>
                <p class="muted">{place} " · by " {event.organizer_name.clone()}</p>
                {cancelled
                    .then(|| view! { <p class="notice notice-danger">"This event has been cancelled."</p> })}
            </header>
            <div class="event-layout">
                <section class="event-description" aria-label="About this event">
                    {paragraphs}
                </section>
                <TicketSelector ticket_types=event.ticket_types.clone() />
            </div>
        </article>
    }
}

/// Quantities per ticket type and a live total. The steppers work once the page is
/// hydrated; the server renders every quantity at zero.
#[component]
fn TicketSelector(ticket_types: Vec<TicketTypeView>) -> impl IntoView {
    let currency = ticket_types.first().map(|t| t.price.currency());
    let rows: Vec<(TicketTypeView, RwSignal<u32>)> = ticket_types
        .into_iter()
        .map(|t| (t, RwSignal::new(0_u32)))
        .collect();
    let lines: Vec<(Money, RwSignal<u32>)> = rows.iter().map(|(t, q)| (t.price, *q)).collect();
    let total = move || {
        let minor: i64 = lines
            .iter()
            .filter_map(|(price, qty)| price.checked_mul(qty.get()))
            .map(|m| m.minor())
            .sum();
        currency
            .map(|c| Money::new(minor, c).to_string())
            .unwrap_or_default()
    };
    view! {
        <aside class="panel tickets" aria-labelledby="tickets-heading">
            <h2 id="tickets-heading">"Tickets"</h2>
            <ul class="ticket-list">
                {rows
                    .into_iter()
                    .map(|(ticket, qty)| view! { <TicketRow ticket qty /> })
                    .collect_view()}
            </ul>
            <p class="ticket-total" aria-live="polite">
                "Total: " <strong data-testid="ticket-total">{total}</strong>
            </p>
        </aside>
    }
}

#[component]
fn TicketRow(ticket: TicketTypeView, qty: RwSignal<u32>) -> impl IntoView {
    let max = ticket.max_per_order;
    let available = ticket.on_sale && ticket.remaining > 0;
    let price = if ticket.price.is_zero() {
        "Free".to_owned()
    } else {
        ticket.price.to_string()
    };
    let status = if !ticket.on_sale {
        "Not on sale".to_owned()
    } else if ticket.remaining == 0 {
        "Sold out".to_owned()
    } else if ticket.remaining <= 10 {
        format!("Only {} left", ticket.remaining)
    } else {
        String::new()
    };
    let name = ticket.name.clone();
    view! {
        <li class="ticket-row">
            <div>
                <p class="ticket-name">{ticket.name.clone()}</p>
                {ticket.description.map(|d| view! { <p class="muted small">{d}</p> })}
                <p class="ticket-price">{price} " " <span class="muted small">{status}</span></p>
            </div>
            <div class="stepper" role="group" aria-label=format!("Quantity of {name}")>
                <button
                    type="button"
                    aria-label=format!("Remove one {name}")
                    disabled=move || { !available || qty.get() == 0 }
                    on:click=move |_| qty.update(|q| *q = q.saturating_sub(1))
                >
                    "−"
                </button>
                <output aria-label=format!("{name} quantity")>{move || qty.get()}</output>
                <button
                    type="button"
                    aria-label=format!("Add one {name}")
                    disabled=move || { !available || qty.get() >= max }
                    on:click=move |_| qty.update(|q| *q = (*q + 1).min(max))
                >
                    "+"
                </button>
            </div>
        </li>
    }
}
