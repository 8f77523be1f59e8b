use super::answers::QuestionField;
use super::codes::{code_in_url, price_view, total_minor, CodeBox};
use super::waitlist::WaitlistJoin;
use super::ErrorPanel;
use crate::api::events::get_event;
use crate::api::orders::Checkout;
use crate::api::sales::get_code_offer;
use crate::domain::question::{Question, QuestionScope};
use crate::domain::rich_text::{paragraphs, Inline};
use crate::domain::sales::CodeOffer;
use crate::domain::{EventDetail, EventStatus, Money, TicketTypeView};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn EventPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let event = Resource::new(slug, get_event);
    // With `?code=`, the ticket types as the code shows them.
    let code = code_in_url();
    let offer = Resource::new(slug, move |slug| {
        let code = code.clone();
        async move {
            if code.is_empty() {
                None
            } else {
                Some(get_code_offer(slug, code).await)
            }
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading event…"</p> }>
            {move || Suspend::new(async move {
                let offer = offer.await;
                match event.await {
                    Ok(event) => view! { <EventView event offer /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The description: paragraphs, line breaks and links, all as escaped text.
fn description_view(text: &str) -> impl IntoView {
    paragraphs(text)
        .into_iter()
        .map(|lines| {
            let count = lines.len();
            let lines = lines
                .into_iter()
                .enumerate()
                .map(|(i, pieces)| {
                    let pieces = pieces
                        .into_iter()
                        .map(|piece| match piece {
                            Inline::Text(t) => t.into_any(),
                            Inline::Link(url) => {
                                let href = url.clone();
                                view! { <a href=href rel="nofollow ugc noopener" target="_blank">{url}</a> }
                                    .into_any()
                            }
                        })
                        .collect_view();
                    view! { {pieces} {(i + 1 < count).then(|| view! { <br /> })} }
                })
                .collect_view();
            view! { <p>{lines}</p> }
        })
        .collect_view()
}

/// schema.org `Event` for search engines, escaped so it cannot close its script tag.
fn json_ld(event: &EventDetail) -> String {
    let location = match &event.online_url {
        Some(url) if event.venue.is_empty() => {
            serde_json::json!({ "@type": "VirtualLocation", "url": url })
        }
        _ => serde_json::json!({
            "@type": "Place",
            "name": event.venue,
            "address": event.address,
        }),
    };
    let offers: Vec<_> = event
        .ticket_types
        .iter()
        .map(|t| {
            serde_json::json!({
                "@type": "Offer",
                "name": t.name,
                "price": t.price.format_plain(),
                "priceCurrency": t.price.currency().code(),
                "availability": if t.remaining == 0 {
                    "https://schema.org/SoldOut"
                } else {
                    "https://schema.org/InStock"
                },
                "url": event.canonical_url,
            })
        })
        .collect();
    let status = match event.status {
        EventStatus::Cancelled => "https://schema.org/EventCancelled",
        _ => "https://schema.org/EventScheduled",
    };
    let mut data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.description.chars().take(500).collect::<String>(),
        "startDate": event.starts_at_iso,
        "endDate": event.ends_at_iso,
        "eventStatus": status,
        "eventAttendanceMode": if event.venue.is_empty() && event.online_url.is_some() {
            "https://schema.org/OnlineEventAttendanceMode"
        } else {
            "https://schema.org/OfflineEventAttendanceMode"
        },
        "location": location,
        "organizer": { "@type": "Organization", "name": event.organizer_name },
        "offers": offers,
        "url": event.canonical_url,
    });
    if let Some(image) = &event.share_image_url {
        data["image"] = serde_json::json!([image]);
    }
    data.to_string().replace('<', "\\u003c")
}

#[component]
fn EventView(event: EventDetail, offer: Option<Result<CodeOffer, AppError>>) -> impl IntoView {
    let cancelled = event.status == EventStatus::Cancelled;
    let draft = event.status == EventStatus::Draft;
    let place = match (&event.online_url, event.venue.is_empty()) {
        (Some(_), true) => "Online".to_owned(),
        _ if event.address.is_empty() => event.venue.clone(),
        _ => format!("{}, {}", event.venue, event.address),
    };
    let summary: String = event.description.chars().take(160).collect();
    let description = if summary.trim().is_empty() {
        format!("{} · {}", event.when, place)
    } else {
        summary
    };
    let image = event.image_url.clone();
    view! {
        <Title text=event.title.clone() />
        <Meta name="description" content=description.clone() />
        <Meta property="og:type" content="website" />
        <Meta property="og:title" content=event.title.clone() />
        <Meta property="og:description" content=description />
        <Meta property="og:url" content=event.canonical_url.clone() />
        {event.share_image_url.clone().map(|src| view! { <Meta property="og:image" content=src /> })}
        <Link rel="canonical" href=event.canonical_url.clone() />
        <script type="application/ld+json" inner_html=json_ld(&event)></script>
        <article class="event-page">
            {image.map(|src| view! {
                <img class="event-cover" src=src alt=format!("Cover image of {}", event.title) />
            })}
            <header class="event-header">
                <p class="event-when">{event.when.clone()} <span class="muted small">" (" {event.time_zone.clone()} ")"</span></p>
                <h1>{event.title.clone()}</h1>
                <p class="muted">{place} " · by " {event.organizer_name.clone()}</p>
                {event.online_url.clone().filter(|_| !cancelled).map(|url| {
                    let href = url.clone();
                    view! { <p class="muted small">"Online at " <a href=href rel="nofollow noopener">{url}</a></p> }
                })}
                {cancelled
                    .then(|| view! { <p class="notice notice-danger">"This event has been cancelled."</p> })}
                {draft
                    .then(|| view! { <p class="notice">"Draft: only you can see this page until it is published."</p> })}
                {event.can_manage.then(|| view! {
                    <p><a class="button button-secondary button-small" href=format!("/dashboard/events/{}", event.id)>"Edit event"</a></p>
                })}
            </header>
            <div class="event-layout">
                <section class="event-description" aria-label="About this event">
                    {description_view(&event.description)}
                </section>
                <div>
                    <TicketSelector event_id=event.id.clone() ticket_types=event.ticket_types.clone()
                        test_mode=event.payments_test_mode questions=event.questions.clone() offer />
                    <WaitlistJoin event_id=event.id.clone() ticket_types=event.ticket_types.clone() />
                </div>
            </div>
        </article>
    }
}

/// Initial quantities from `?tickets=<id>:<n>,...` (kept across signing in).
fn preselected() -> Vec<(String, u32)> {
    let query = use_query_map();
    let raw = query.read_untracked().get("tickets").unwrap_or_default();
    raw.split(',')
        .filter_map(|pair| pair.split_once(':'))
        .filter_map(|(id, n)| Some((id.to_owned(), n.parse().ok()?)))
        .collect()
}

/// Quantities per ticket type, a live total and the buy button. One form: the quantity
/// inputs work before hydration; the steppers once hydrated.
#[component]
fn TicketSelector(
    event_id: String,
    ticket_types: Vec<TicketTypeView>,
    test_mode: bool,
    questions: Vec<Question>,
    offer: Option<Result<CodeOffer, AppError>>,
) -> impl IntoView {
    let checkout = ServerAction::<Checkout>::new();
    let applied = offer.clone().and_then(Result::ok);
    let terms = applied.as_ref().map(|o| o.terms.clone());
    let ticket_types = applied.map_or(ticket_types, |o| o.ticket_types);
    let currency = ticket_types.first().map(|t| t.price.currency());
    let chosen = preselected();
    let rows: Vec<(TicketTypeView, RwSignal<u32>)> = ticket_types
        .into_iter()
        .map(|t| {
            let initial = chosen
                .iter()
                .find(|(id, _)| *id == t.id)
                .map(|(_, n)| (*n).min(t.max_per_order))
                .unwrap_or(0);
            (t, RwSignal::new(initial))
        })
        .collect();
    let lines: Vec<(TicketTypeView, RwSignal<u32>)> = rows.clone();
    let quantities: Vec<(String, RwSignal<u32>)> =
        rows.iter().map(|(t, q)| (t.id.clone(), *q)).collect();
    let chosen = quantities.clone();
    // The ticket type of each ticket, in order: which per-ticket questions its row asks.
    let types = Signal::derive(move || {
        chosen
            .iter()
            .flat_map(|(id, q)| std::iter::repeat_n(id.clone(), q.get() as usize))
            .collect::<Vec<_>>()
    });
    let tickets = Signal::derive(move || types.with(|t| t.len() as u32));
    let (for_order, for_tickets): (Vec<Question>, Vec<Question>) = questions
        .into_iter()
        .partition(|q| q.scope == QuestionScope::Order);
    // What signing in keeps: `?tickets=<id>:<n>,...`.
    let selection = Signal::derive(move || {
        quantities
            .iter()
            .filter(|(_, q)| q.get() > 0)
            .map(|(id, q)| format!("{id}:{}", q.get()))
            .collect::<Vec<_>>()
            .join(",")
    });
    let code = terms.as_ref().map(|t| t.code.clone());
    let total = move || {
        let chosen: Vec<(TicketTypeView, u32)> =
            lines.iter().map(|(t, q)| (t.clone(), q.get())).collect();
        let minor = total_minor(&chosen, terms.as_ref());
        currency
            .map(|c| Money::new(minor, c).to_string())
            .unwrap_or_default()
    };
    // Without JavaScript a refused checkout comes back in the URL.
    let refused = super::error_from_url(<Checkout as ServerFn>::PATH);
    let error = move || {
        checkout
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| refused.clone())
            .map(|e| {
                // What each field needs, in words: the rows and questions have no room of
                // their own for it.
                let details: Vec<String> = match &e {
                    crate::error::AppError::Fields(list) => {
                        list.iter().map(|f| f.message.clone()).collect()
                    }
                    _ => Vec::new(),
                };
                view! {
                    <div class="notice notice-danger" role="alert">
                        <p>{e.to_string()}</p>
                        {(!details.is_empty()).then(|| view! {
                            <ul>{details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                        })}
                    </div>
                }
            })
    };
    view! {
        <aside class="panel tickets" aria-labelledby="tickets-heading">
            <h2 id="tickets-heading">"Tickets"</h2>
            <CodeBox offer />
            <ActionForm action=checkout>
                <input type="hidden" name="event_id" value=event_id />
                {code.map(|code| view! { <input type="hidden" name="code" value=code /> })}
                <ul class="ticket-list">
                    {rows
                        .into_iter()
                        .enumerate()
                        .map(|(index, (ticket, qty))| view! { <TicketRow index ticket qty /> })
                        .collect_view()}
                </ul>
                <p class="ticket-total" aria-live="polite">
                    "Total: " <strong data-testid="ticket-total">{total}</strong>
                </p>
                <GuestFields selection />
                <HolderFields tickets types questions=for_tickets />
                {(!for_order.is_empty()).then(|| view! {
                    <fieldset class="holder-fields">
                        <legend>"A few questions"</legend>
                        {for_order.into_iter().map(|question| view! {
                            <QuestionField question prefix="answers".to_owned() context=None />
                        }).collect_view()}
                    </fieldset>
                })}
                {error}
                // Never disabled for an empty choice: before the bundle loads (or without it)
                // the form must still post; the server says what is missing.
                <button type="submit" class="button button-block"
                    disabled=move || checkout.pending().get()>
                    "Buy tickets"
                </button>
                {test_mode.then(|| view! {
                    <p class="muted small">"Test mode: payments go to a demo page; no money moves."</p>
                })}
            </ActionForm>
        </aside>
    }
}

/// A visitor without an account buys as a guest: the name and email the tickets go to.
#[component]
fn GuestFields(selection: Signal<String>) -> impl IntoView {
    let session = super::super::session::use_session();
    let next = leptos_router::hooks::use_location();
    let login = move || {
        let back = format!("{}?tickets={}", next.pathname.get(), selection.get());
        format!("/login?next={}", crate::domain::urlencode(&back))
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                session.user().await.is_none().then(|| {
                    view! {
                        <fieldset class="guest-fields">
                            <legend>"Your details"</legend>
                            <p class="muted small">"No account needed: your tickets go to this email. " <a href=login>"Sign in"</a> " instead."</p>
                            <label for="guest-name">"Your name"</label>
                            <input id="guest-name" name="guest_name" autocomplete="name" />
                            <label for="guest-email">"Your email"</label>
                            <input id="guest-email" name="guest_email" type="email" autocomplete="email" />
                        </fieldset>
                    }
                })
            })}
        </Suspense>
    }
}

/// A name (and an email, to send that ticket to) per ticket; left blank, a ticket is the
/// buyer's. Rows follow the chosen quantities and keep what was typed.
#[component]
fn HolderFields(
    tickets: Signal<u32>,
    types: Signal<Vec<String>>,
    questions: Vec<Question>,
) -> impl IntoView {
    let questions = StoredValue::new(questions);
    view! {
        <Show when=move || { tickets.get() > 0 }>
            <fieldset class="holder-fields">
                <legend>"Who is going?"</legend>
                <p class="muted small">"Optional: a name per ticket, and an email to send that ticket to."</p>
                <For each=move || 0..tickets.get() key=|i| *i let:i>
                    <div class="holder-row">
                        <label for=format!("holder-name-{i}")>{format!("Name on ticket {}", i + 1)}</label>
                        <input id=format!("holder-name-{i}") name=format!("holders[{i}][name]") autocomplete="off" />
                        <label for=format!("holder-email-{i}")>{format!("Email for ticket {}", i + 1)}</label>
                        <input id=format!("holder-email-{i}") name=format!("holders[{i}][email]") type="email" autocomplete="off" />
                        {move || {
                            let ticket_type = types.with(|t| t.get(i as usize).cloned()).unwrap_or_default();
                            questions.with_value(|all| all.iter()
                                .filter(|q| q.applies_to(&ticket_type))
                                .cloned()
                                .map(|question| view! {
                                    <QuestionField question prefix=format!("holders[{i}][answers]")
                                        context=Some(format!("ticket {}", i + 1)) />
                                })
                                .collect_view())
                        }}
                    </div>
                </For>
            </fieldset>
        </Show>
    }
}

#[component]
fn TicketRow(index: usize, ticket: TicketTypeView, qty: RwSignal<u32>) -> impl IntoView {
    let max = ticket.max_per_order;
    let available = ticket.on_sale && ticket.remaining > 0;
    let price = price_view(&ticket);
    let status = ticket.note.clone();
    let per_order = available.then(|| ticket.per_order());
    let name = ticket.name.clone();
    let input_id = format!("quantity-{index}");
    let initial = qty.get_untracked().to_string();
    view! {
        <li class="ticket-row">
            <div>
                <p class="ticket-name">{ticket.name.clone()}</p>
                {ticket.description.map(|d| view! { <p class="muted small">{d}</p> })}
                <p class="ticket-price">{price} " " <span class="muted small">{status}</span></p>
                {per_order.map(|text| view! { <p class="muted small">{text}</p> })}
            </div>
            <input type="hidden" name=format!("lines[{index}][ticket_type_id]") value=ticket.id />
            <div class="stepper" role="group" aria-label=format!("Quantity of {name}")>
                <button
                    type="button"
                    aria-label=format!("Remove one {name}")
                    disabled=move || { !available || qty.get() == 0 }
                    on:click=move |_| qty.update(|q| *q = q.saturating_sub(1))
                >
                    "−"
                </button>
                <label for=input_id.clone() class="visually-hidden">{format!("{name} quantity")}</label>
                <input
                    id=input_id
                    class="quantity"
                    type="number"
                    inputmode="numeric"
                    min="0"
                    max=max
                    name=format!("lines[{index}][quantity]")
                    disabled=!available
                    value=initial
                    prop:value=move || qty.get().to_string()
                    on:input=move |ev| {
                        let value = event_target_value(&ev).parse::<u32>().unwrap_or(0);
                        qty.set(value.min(max));
                    }
                />
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
