//! `/checkin/:event`: the door. Type or paste a ticket's code (or its pass), or find the
//! holder by name; the answer fills the screen: green admitted, amber already checked in,
//! red refused. The counts refresh after every scan and every five seconds. A device link
//! (`#device=<token>` in the address, never sent in a request line) opens it without an
//! account.
use super::ErrorPanel;
use crate::api::checkin::{get_door, CheckInTicket};
use crate::domain::{CheckInAnswer, DoorData, ScanResult, TicketStatus};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

#[component]
pub fn CheckInPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let event_id = move || params.read().get("event").unwrap_or_default();
    // Only the browser knows the fragment: the door loads once the page is interactive.
    let device = move || {
        location
            .hash
            .get()
            .trim_start_matches('#')
            .strip_prefix("device=")
            .map(str::to_owned)
    };
    let check_in = ServerAction::<CheckInTicket>::new();
    let tick = super::use_ticker(std::time::Duration::from_secs(5));
    let door = LocalResource::new(move || {
        let (event_id, device) = (event_id(), device());
        check_in.version().get();
        tick.get();
        get_door(event_id, device)
    });
    view! {
        <Title text="Check-in" />
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Opening the door…"</p> }>
            {move || Suspend::new(async move {
                match door.await {
                    Ok(data) => view! { <Door data device=device() check_in /> }.into_any(),
                    Err(error) => view! {
                        <h1>"Check-in"</h1>
                        <ErrorPanel error />
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Door(
    data: DoorData,
    device: Option<String>,
    check_in: ServerAction<CheckInTicket>,
) -> impl IntoView {
    let answer = move || check_in.value().get();
    let search = RwSignal::new(String::new());
    let tickets = StoredValue::new(data.tickets.clone());
    let matches = move || {
        let needle = search.get().trim().to_lowercase();
        if needle.len() < 2 {
            return Vec::new();
        }
        tickets.with_value(|all| {
            all.iter()
                .filter(|t| t.holder.to_lowercase().contains(&needle))
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let event_id = data.event_id.clone();
    let device_value = device.unwrap_or_default();
    let (form_event, form_device) = (event_id.clone(), device_value.clone());
    view! {
        <header class="page-header">
            <h1>"Check-in: " {data.event_title.clone()}</h1>
            <p class="muted">{data.when.clone()} " · " {format!("You are {}", data.door)}</p>
        </header>
        <ul class="metric-grid" aria-label="Checked in">
            {data.counts.iter().map(|c| view! {
                <li class="panel metric" data-metric=c.ticket_type.clone()>
                    <span class="metric-label">{c.ticket_type.clone()}</span>
                    <strong class="metric-value">{format!("{} / {}", c.checked_in, c.sold)}</strong>
                </li>
            }).collect_view()}
        </ul>
        {move || answer().map(|result| view! { <AnswerPanel result /> })}
        <section class="panel" aria-labelledby="scan-heading">
            <h2 id="scan-heading">"Scan or type a ticket"</h2>
            <ActionForm action=check_in attr:class="checkin-form">
                <input type="hidden" name="event_id" value=form_event />
                <input type="hidden" name="device" value=form_device />
                <input type="hidden" name="scan_id" value="" />
                <label for="ticket-text">"Ticket code or pass"</label>
                <input id="ticket-text" name="text" autocomplete="off" autocapitalize="characters" required />
                <button type="submit" class="button" disabled=move || check_in.pending().get()>"Check in"</button>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="find-heading">
            <h2 id="find-heading">"Find by name"</h2>
            <label for="holder-search">"Holder's name"</label>
            <input id="holder-search" type="search" autocomplete="off"
                on:input=move |ev| search.set(event_target_value(&ev)) />
            <ul class="holder-list">
                {move || matches().into_iter().map(|t| {
                    let (event_id, device) = (event_id.clone(), device_value.clone());
                    let label = format!("Check in {}", t.holder);
                    let state = match (t.status, &t.checked_in) {
                        (TicketStatus::Void, _) => "refunded".to_owned(),
                        (_, Some(when)) => format!("checked in {when}"),
                        _ => "not checked in".to_owned(),
                    };
                    view! {
                        <li>
                            <span>{t.holder.clone()} " · " {t.ticket_type.clone()} " · " <span class="muted">{state}</span></span>
                            <ActionForm action=check_in attr:class="inline-form">
                                <input type="hidden" name="event_id" value=event_id />
                                <input type="hidden" name="device" value=device />
                                <input type="hidden" name="scan_id" value="" />
                                <input type="hidden" name="text" value=t.code.clone() />
                                <button type="submit" class="button-secondary" aria-label=label>"Check in"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The answer, big and coloured, with words for those who cannot tell the colours apart.
#[component]
fn AnswerPanel(result: Result<CheckInAnswer, crate::error::AppError>) -> impl IntoView {
    let (class, title, detail) = match result {
        Ok(answer) => {
            let who = match (&answer.holder, &answer.ticket_type) {
                (Some(holder), Some(kind)) => format!("{holder} · {kind}"),
                _ => String::new(),
            };
            match answer.result {
                ScanResult::Admitted => ("answer answer-admitted", "Admitted".to_owned(), who),
                ScanResult::Duplicate => ("answer answer-duplicate", answer.message, who),
                ScanResult::Refused => (
                    "answer answer-refused",
                    format!("Refused: {}", answer.message),
                    who,
                ),
            }
        }
        Err(error) => ("answer answer-refused", error.to_string(), String::new()),
    };
    view! {
        <div class=class role="status" aria-live="assertive">
            <p class="answer-title">{title}</p>
            <p class="answer-detail">{detail}</p>
        </div>
    }
}
