use super::ErrorPanel;
use crate::api::events::list_upcoming_events;
use crate::domain::EventSummary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let events = Resource::new(|| (), |_| list_upcoming_events());
    view! {
        <Title text="Upcoming events" />
        <section class="hero">
            <h1>"Find your next night out"</h1>
            <p class="lead">"Concerts, meetups and workshops. Tickets in seconds, straight to your inbox."</p>
        </section>
        <section aria-labelledby="upcoming-heading">
            <h2 id="upcoming-heading">"Upcoming events"</h2>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) if list.is_empty() => view! { <EmptyCatalogue /> }.into_any(),
                        Ok(list) => view! { <EventGrid events=list /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn EmptyCatalogue() -> impl IntoView {
    view! {
        <div class="panel empty-state">
            <h3>"No upcoming events yet"</h3>
            <p class="muted">"Organizers are setting things up. Check back soon."</p>
        </div>
    }
}

#[component]
fn EventGrid(events: Vec<EventSummary>) -> impl IntoView {
    view! {
        <ul class="event-grid">
            {events.into_iter().map(|event| view! { <EventCard event /> }).collect_view()}
        </ul>
    }
}

#[component]
fn EventCard(event: EventSummary) -> impl IntoView {
    let href = format!("/events/{}", event.slug);
    let price = match (event.sold_out, event.price_from) {
        (true, _) => "Sold out".to_owned(),
        (false, Some(price)) if price.is_zero() => "Free".to_owned(),
        (false, Some(price)) => format!("From {price}"),
        (false, None) => String::new(),
    };
    view! {
        <li class="event-card">
            <div class="event-card-media" aria-hidden="true">
                {event
                    .image_url
                    .map(|src| view! { <img src=src alt="" loading="lazy" /> })}
            </div>
            <div class="event-card-body">
                <p class="event-when">{event.when}</p>
                <h3>
                    <A href=href>{event.title}</A>
                </h3>
                <p class="muted">{event.place}</p>
                <p class="event-price" class:sold-out=event.sold_out>
                    {price}
                </p>
            </div>
        </li>
    }
}
