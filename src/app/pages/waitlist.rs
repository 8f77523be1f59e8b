//! Waiting lists: joining one on the event page, the offer's page (from its email), and
//! the organizer's view of the line.
use super::answers::QuestionField;
use super::tickets::link_key;
use super::ErrorPanel;
use crate::api::waitlist::{
    get_event_waitlist, get_waitlist_offer, JoinWaitlist, RemoveWaitlistEntry, SetWaitlistOpen,
    TakeWaitlistOffer,
};
use crate::domain::question::QuestionScope;
use crate::domain::sales::WaitlistOffer;
use crate::domain::TicketTypeView;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// For each sold-out ticket type with an open waiting list: a form to join it.
#[component]
pub fn WaitlistJoin(event_id: String, ticket_types: Vec<TicketTypeView>) -> impl IntoView {
    let join = ServerAction::<JoinWaitlist>::new();
    let waiting: Vec<TicketTypeView> = ticket_types.into_iter().filter(|t| t.waitlist).collect();
    (!waiting.is_empty()).then(|| {
        view! {
            <div class="waitlist">
                {move || match join.value().get() {
                    Some(Ok(())) => Some(view! {
                        <p class="notice notice-success" role="status">
                            "You are on the waiting list. When a ticket comes back we email you an offer, first come first served."
                        </p>
                    }.into_any()),
                    Some(Err(error)) => Some(view! { <ErrorPanel error /> }.into_any()),
                    None => None,
                }}
                {waiting.into_iter().map(|t| {
                    let (name_id, email_id) = (format!("waitlist-name-{}", t.id), format!("waitlist-email-{}", t.id));
                    let event_id = event_id.clone();
                    view! {
                        <details class="transfer">
                            <summary>{format!("Join the waiting list for {}", t.name)}</summary>
                            <ActionForm action=join attr:class="stack-form">
                                <input type="hidden" name="event_id" value=event_id />
                                <input type="hidden" name="ticket_type_id" value=t.id.clone() />
                                <fieldset class="stack-form">
                                    <legend>{format!("Waiting list for {}", t.name)}</legend>
                                    <label for=name_id.clone()>"Your name"</label>
                                    <input id=name_id name="guest_name" autocomplete="name" required />
                                    <label for=email_id.clone()>"Your email"</label>
                                    <input id=email_id name="guest_email" type="email" autocomplete="email" required />
                                    <button type="submit" class="button button-secondary">"Join the waiting list"</button>
                                </fieldset>
                            </ActionForm>
                        </details>
                    }
                }).collect_view()}
            </div>
        }
    })
}

/// `/waitlist/:entry?key=`: the ticket held for the person in line, and the button that
/// orders it (then payment, as any order).
#[component]
pub fn WaitlistOfferPage() -> impl IntoView {
    let params = use_params_map();
    let key = link_key();
    let offer = Resource::new(
        move || params.read().get("entry").unwrap_or_default(),
        move |entry| get_waitlist_offer(entry, key.clone()),
    );
    view! {
        <Title text="Your ticket offer" />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading your offer…"</p> }>
            {move || Suspend::new(async move {
                match offer.await {
                    Ok(offer) => view! { <OfferDetails offer /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OfferDetails(offer: WaitlistOffer) -> impl IntoView {
    let take = ServerAction::<TakeWaitlistOffer>::new();
    let entry = use_params_map()
        .read_untracked()
        .get("entry")
        .unwrap_or_default();
    let price = offer
        .price
        .map(|p| {
            if p.is_zero() {
                "Free".to_owned()
            } else {
                p.to_string()
            }
        })
        .unwrap_or_default();
    let (for_order, for_ticket): (Vec<_>, Vec<_>) = offer
        .questions
        .into_iter()
        .partition(|q| q.scope == QuestionScope::Order);
    let type_id = offer.ticket_type_id.clone();
    view! {
        <header class="page-header">
            <p class="eyebrow">"Waiting list"</p>
            <h1><a href=format!("/events/{}", offer.event_slug)>{offer.event_title}</a></h1>
        </header>
        {if offer.open {
            view! {
                <section class="panel">
                    <p>{format!("Hi {}, a “{}” ticket ({price}) is held for you until {}.", offer.name, offer.type_name, offer.until)}</p>
                    {move || take.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
                    <ActionForm action=take attr:class="stack-form">
                        <input type="hidden" name="entry" value=entry />
                        <input type="hidden" name="key" value=link_key() />
                        <input type="hidden" name="holders[0][name]" value=offer.name.clone() />
                        {for_ticket.into_iter().filter(|q| q.applies_to(&type_id)).map(|question| view! {
                            <QuestionField question prefix="holders[0][answers]".to_owned() context=None />
                        }).collect_view()}
                        {for_order.into_iter().map(|question| view! {
                            <QuestionField question prefix="answers".to_owned() context=None />
                        }).collect_view()}
                        <button type="submit" class="button" disabled=move || take.pending().get()>"Continue to payment"</button>
                    </ActionForm>
                </section>
            }.into_any()
        } else {
            view! {
                <p class="notice" role="status">"This offer has ended: it ran out or was already used."</p>
            }.into_any()
        }}
    }
}

/// The organizer's view of the event's waiting list.
#[component]
pub fn WaitlistPanel(event_id: String) -> impl IntoView {
    let remove = ServerAction::<RemoveWaitlistEntry>::new();
    let open = ServerAction::<SetWaitlistOpen>::new();
    let data = {
        let event_id = event_id.clone();
        Resource::new(
            move || (remove.version().get(), open.version().get()),
            move |_| get_event_waitlist(event_id.clone()),
        )
    };
    let event = StoredValue::new(event_id);
    view! {
        <section class="panel" aria-labelledby="waitlist-heading">
            <h2 id="waitlist-heading">"Waiting list"</h2>
            {move || remove.value().get().and_then(Result::err)
                .or_else(|| open.value().get().and_then(Result::err))
                .map(|error| view! { <ErrorPanel error /> })}
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the waiting list…"</p> }>
                {move || Suspend::new(async move {
                    data.await.ok().map(|data| view! {
                        <ActionForm action=open attr:class="inline-form">
                            <input type="hidden" name="event_id" value=event.get_value() />
                            <input type="hidden" name="open" value=if data.enabled { "no" } else { "yes" } />
                            <span>{if data.enabled { "Open: buyers can join when a type sells out. " } else { "Closed. " }}</span>
                            <button type="submit" class="button-secondary button-small">
                                {if data.enabled { "Close the waiting list" } else { "Open the waiting list" }}
                            </button>
                        </ActionForm>
                        {data.rows.is_empty().then(|| view! { <p class="muted">"Nobody is waiting."</p> })}
                        <ul class="holder-list" aria-label="People waiting">
                            {data.rows.into_iter().map(|row| {
                                let state = match (&row.status[..], row.position, &row.offer_until) {
                                    ("waiting", Some(n), _) => format!("#{n} in line"),
                                    ("offered", _, Some(until)) => format!("offer held until {until}"),
                                    (other, _, _) => other.to_owned(),
                                };
                                let active = row.status == "waiting" || row.status == "offered";
                                let label = format!("Remove {} from the waiting list", row.name);
                                view! {
                                    <li>
                                        <span>{format!("{} <{}> · {} · {state} · joined {}", row.name, row.email, row.type_name, row.joined)}</span>
                                        {active.then(|| view! {
                                            <ActionForm action=remove attr:class="inline-form">
                                                <input type="hidden" name="event_id" value=event.get_value() />
                                                <input type="hidden" name="entry_id" value=row.id.clone() />
                                                <button type="submit" class="button-secondary button-small" aria-label=label>"Remove"</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Transition>
        </section>
    }
}
