use super::ErrorPanel;
use crate::api::events::list_upcoming_events;
use crate::domain::{urlencode, EventListPage, EventSummary};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let events = Resource::new(
        move || (search(), page()),
        |(search, page)| list_upcoming_events(search, page),
    );
    view! {
        <Title text="Upcoming events" />
        <section class="hero">
            <h1>"Find your next night out"</h1>
            <p class="lead">"Concerts, meetups and workshops. Tickets in seconds, straight to your inbox."</p>
        </section>
        <section aria-labelledby="upcoming-heading">
            <div class="list-header">
                <h2 id="upcoming-heading">"Upcoming events"</h2>
                <form method="get" action="/" role="search" class="search-form">
                    <label for="search" class="visually-hidden">"Search events"</label>
                    <input id="search" type="search" name="q" value=search
                        placeholder="Search by name or place" maxlength="100" />
                    <button type="submit" class="button button-secondary">"Search"</button>
                </form>
            </div>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) if list.events.is_empty() && list.page == 1 => {
                            view! { <EmptyCatalogue searched=!search().is_empty() /> }.into_any()
                        }
                        Ok(list) => view! { <EventGrid list search=search() /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn EmptyCatalogue(searched: bool) -> impl IntoView {
    if searched {
        return view! {
            <div class="panel empty-state">
                <h3>"No events match your search"</h3>
                <p class="muted"><a href="/">"Show all upcoming events"</a></p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="panel empty-state">
            <h3>"No upcoming events yet"</h3>
            <p class="muted">"Organizers are setting things up. Check back soon."</p>
        </div>
    }
    .into_any()
}

#[component]
fn EventGrid(list: EventListPage, search: String) -> impl IntoView {
    let link = move |page: u32| {
        let mut href = format!("/?page={page}");
        if !search.is_empty() {
            href.push_str(&format!("&q={}", urlencode(&search)));
        }
        href
    };
    let previous = (list.page > 1).then(|| {
        view! { <a class="button button-secondary" rel="prev" href=link(list.page - 1)>"← Earlier"</a> }
    });
    let next = list.has_next.then(|| {
        view! { <a class="button button-secondary" rel="next" href=link(list.page + 1)>"Later →"</a> }
    });
    view! {
        <ul class="event-grid">
            {list.events.into_iter().map(|event| view! { <EventCard event /> }).collect_view()}
        </ul>
        <nav class="pagination" aria-label="Pages">
            {previous}
            <span class="muted">{format!("Page {}", list.page)}</span>
            {next}
        </nav>
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
