//! The event editor: the create-event wizard and the edit page share one form. Without
//! JavaScript it is a single multipart form posted to the server function; once hydrated it
//! shows one step at a time and uploads with a progress bar.
use super::guard::OrganizerOnly;
use super::ErrorPanel;
use crate::api::events::{
    get_event_for_edit, list_time_zones, ChangeEventStatus, CreateEvent, DeleteEvent, UpdateEvent,
};
use crate::domain::event_form::{step_of_field, EventForm, TicketForm, MAX_TICKET_TYPES};
use crate::domain::{EventAction, EventEditorData, EventStatus};
use crate::error::{AppError, FieldError};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

mod fields;
use fields::*;

const STEPS: [&str; 5] = ["Details", "Date and place", "Tickets", "Image", "Review"];
const CURRENCIES: [&str; 12] = [
    "EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "ISK", "PLN", "CZK", "HUF", "JPY",
];

#[component]
pub fn NewEventPage() -> impl IntoView {
    view! {
        <Title text="Create an event" />
        <OrganizerOnly>
            <header class="page-header">
                <p><a href="/dashboard">"← Dashboard"</a></p>
                <h1>"Create an event"</h1>
            </header>
            <EditorLoader data=None />
        </OrganizerOnly>
    }
}

#[component]
pub fn EditEventPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, get_event_for_edit);
    view! {
        <Title text="Edit event" />
        <OrganizerOnly>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading event…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! {
                            <header class="page-header">
                                <p><a href="/dashboard">"← Dashboard"</a></p>
                                <h1>"Edit “" {data.form.title.clone()} "”"</h1>
                                <p>
                                    <span class=format!("badge badge-{}", data.status.as_str())>
                                        {data.status.as_str()}
                                    </span>
                                    " · "
                                    <a href=format!("/events/{}", data.slug)>"View event page"</a>
                                    " · "
                                    <a href=format!("/dashboard/events/{}/orders", data.id)>"Orders and attendees"</a>
                                </p>
                            </header>
                            <StatusActions id=data.id.clone() status=data.status refunds_owed=data.refunds_owed />
                            <EditorLoader data=Some(data) />
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </OrganizerOnly>
    }
}

/// Publish, unpublish, cancel and delete, each a small form that works without JavaScript.
#[component]
fn StatusActions(id: String, status: EventStatus, refunds_owed: u32) -> impl IntoView {
    let change = ServerAction::<ChangeEventStatus>::new();
    let delete = ServerAction::<DeleteEvent>::new();
    // The page reflects the new status after a change; a cancellation first says what
    // became of the orders (the page then offers to reload).
    Effect::new(move |_| {
        if let Some(Ok(done)) = change.value().get() {
            if done.status != EventStatus::Cancelled {
                #[cfg(feature = "hydrate")]
                let _ = window().location().reload();
            }
        }
    });
    let cancelled = move || {
        change
            .value()
            .get()
            .and_then(Result::ok)
            .filter(|done| done.status == EventStatus::Cancelled)
            .map(|done| {
                view! {
                    <p class="notice" role="status">
                        {done.summary()} " " <a href="">"Reload the page"</a>
                    </p>
                }
            })
    };
    let error = move || {
        let change_error = change.value().get().and_then(Result::err);
        let delete_error = delete.value().get().and_then(Result::err);
        change_error.or(delete_error).map(|e| {
            view! { <p class="notice notice-danger" role="alert">{e.to_string()}</p> }
        })
    };
    let buttons = match status {
        EventStatus::Draft => view! {
            <StatusButton change id=id.clone() action=EventAction::Publish label="Publish" class="button" />
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=id.clone() />
                <button type="submit" class="button button-danger">"Delete draft"</button>
            </ActionForm>
        }
        .into_any(),
        EventStatus::Published => view! {
            <StatusButton change id=id.clone() action=EventAction::Unpublish label="Unpublish" class="button button-secondary" />
            <StatusButton change id=id.clone() action=EventAction::Cancel label="Cancel event" class="button button-danger" />
        }
        .into_any(),
        EventStatus::Cancelled => {
            let owed = match refunds_owed {
                0 => String::new(),
                1 => " 1 refund is still owed; TickEx keeps retrying it with the payment provider.".into(),
                n => format!(" {n} refunds are still owed; TickEx keeps retrying them with the payment provider."),
            };
            view! { <p class="muted">"This event is cancelled." {owed}</p> }.into_any()
        }
    };
    view! {
        <section class="panel status-actions" aria-label="Event status">
            {error}
            {cancelled}
            <div class="actions">{buttons}</div>
        </section>
    }
}

#[component]
fn StatusButton(
    change: ServerAction<ChangeEventStatus>,
    id: String,
    action: EventAction,
    label: &'static str,
    class: &'static str,
) -> impl IntoView {
    let value = serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    view! {
        <ActionForm action=change attr:class="inline-form">
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="action" value=value />
            <button type="submit" class=class disabled=move || change.pending().get()>
                {label}
            </button>
        </ActionForm>
    }
}

/// Loads the time zones, then shows the editor.
#[component]
fn EditorLoader(data: Option<EventEditorData>) -> impl IntoView {
    let zones = Resource::new(|| (), |_| list_time_zones());
    let data = StoredValue::new(data);
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let zones = zones.await.unwrap_or_default();
                view! { <EventEditor data=data.get_value() zones /> }
            })}
        </Suspense>
    }
}

#[component]
fn EventEditor(data: Option<EventEditorData>, zones: Vec<String>) -> impl IntoView {
    let editing = data.is_some();
    let action_path = if editing {
        <UpdateEvent as ServerFn>::PATH
    } else {
        <CreateEvent as ServerFn>::PATH
    };
    let (event_id, mut form, image_url, taken) = match data {
        Some(d) => (d.id, d.form, d.image_url, d.taken),
        None => (String::new(), EventForm::default(), None, Vec::new()),
    };
    if form.currency.is_empty() {
        form.currency = "EUR".into();
    }
    if form.time_zone.is_empty() {
        form.time_zone = "Europe/Berlin".into();
    }
    if form.tickets.is_empty() {
        form.tickets.push(TicketForm::default());
    }

    let error: RwSignal<Option<AppError>> = RwSignal::new(super::error_from_url(action_path));
    let field_error =
        move |name: String| Signal::derive(move || error.get().and_then(|e| e.message_for(&name)));
    // Steps show one at a time only once hydrated; before that the whole form is visible.
    let enhanced = RwSignal::new(false);
    Effect::new(move |_| enhanced.set(true));
    let step = RwSignal::new(
        error
            .get_untracked()
            .and_then(|e| first_field(&e).map(|f| step_of_field(&f)))
            .unwrap_or(0),
    );
    let progress: RwSignal<Option<f64>> = RwSignal::new(None);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let review: RwSignal<Vec<(String, String)>> = RwSignal::new(Vec::new());
    let preview: RwSignal<Option<String>> = RwSignal::new(image_url);
    let image_error: RwSignal<Option<String>> = RwSignal::new(None);

    let go = move |to: usize| {
        #[cfg(feature = "hydrate")]
        if to == STEPS.len() - 1 {
            if let Some(form) = form_ref.get_untracked() {
                review.set(super::browser::form_summary(&form));
            }
        }
        step.set(to);
    };
    #[cfg(feature = "hydrate")]
    let navigate = leptos_router::hooks::use_navigate();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        {
            ev.prevent_default();
            let Some(form) = form_ref.get_untracked() else {
                return;
            };
            let intent = ev
                .submitter()
                .and_then(|s| s.get_attribute("value"))
                .unwrap_or_default();
            let navigate = navigate.clone();
            progress.set(Some(0.0));
            error.set(None);
            let sent = super::browser::post_form_with_progress(
                &form,
                action_path,
                &[("intent", intent.as_str())],
                move |fraction| progress.set(Some(fraction)),
                move |outcome| {
                    progress.set(None);
                    match outcome {
                        Ok(path) => navigate(&path, Default::default()),
                        Err(e) => {
                            if let Some(field) = first_field(&e) {
                                step.set(step_of_field(&field));
                            }
                            error.set(Some(e));
                        }
                    }
                },
            );
            if sent.is_err() {
                progress.set(None);
                error.set(Some(AppError::Transport(
                    "the upload could not start".into(),
                )));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let on_image = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        match super::browser::chosen_image(&ev) {
            Ok(url) => {
                image_error.set(None);
                preview.set(url);
            }
            Err(message) => {
                image_error.set(Some(message));
                preview.set(None);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let description = form.description.clone();
    let rows = RwSignal::new(
        form.tickets
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, t)| (i, t, taken.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>(),
    );
    let next_key = StoredValue::new(rows.with_untracked(|r| r.len()));
    let add_row = move |_: leptos::ev::MouseEvent| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|r| r.push((key, TicketForm::default(), 0)));
    };

    let hidden_unless = move |n: usize| move || enhanced.get() && step.get() != n;
    let step_nav = move |n: usize| {
        view! {
            <div class="step-nav" hidden=move || !enhanced.get()>
                {(n > 0).then(|| view! {
                    <button type="button" class="button button-secondary" on:click=move |_| go(n - 1)>"Back"</button>
                })}
                {(n + 1 < STEPS.len()).then(|| view! {
                    <button type="button" class="button" on:click=move |_| go(n + 1)>
                        {format!("Next: {}", STEPS[n + 1])}
                    </button>
                })}
            </div>
        }
    };
    let text = move |label: &'static str,
                     name: &'static str,
                     value: String,
                     kind: &'static str,
                     required: bool| {
        view! { <TextField label name value kind required error=field_error(name.to_owned()) /> }
    };

    view! {
        <ol class="wizard-steps" hidden=move || !enhanced.get() aria-label="Steps">
            {STEPS
                .iter()
                .enumerate()
                .map(|(n, label)| view! {
                    <li>
                        <button
                            type="button"
                            class="step-link"
                            aria-current=move || (step.get() == n).then_some("step")
                            on:click=move |_| go(n)
                        >
                            {format!("{}. {label}", n + 1)}
                        </button>
                    </li>
                })
                .collect_view()}
        </ol>
        <form
            class="panel editor"
            method="post"
            enctype="multipart/form-data"
            action=action_path
            node_ref=form_ref
            on:submit=on_submit
            novalidate=move || enhanced.get()
        >
            {move || error.get().map(|e| view! {
                <p class="notice notice-danger" role="alert">{e.to_string()}</p>
            })}
            <input type="hidden" name="event_id" value=event_id />

            <fieldset class="step" class:step-hidden=hidden_unless(0)>
                <legend>"Details"</legend>
                {text("Title", "title", form.title.clone(), "text", true)}
                {framed("Description", "description", field_error("description".into()),
                    "Plain text. Leave an empty line between paragraphs; web addresses become links.",
                    move |id, message| view! {
                        <textarea id=id name="description" rows="8" aria-describedby=message>{description}</textarea>
                    }.into_any())}
                <SelectField label="Currency" name="currency" value=form.currency.clone()
                    options=CURRENCIES.iter().map(|c| c.to_string()).collect() error=field_error("currency".into()) />
                {step_nav(0)}
            </fieldset>

            <fieldset class="step" class:step-hidden=hidden_unless(1)>
                <legend>"Date and place"</legend>
                <SelectField label="Time zone" name="time_zone" value=form.time_zone.clone()
                    options=zones error=field_error("time_zone".into()) />
                <div class="field-row">
                    {text("Starts", "starts_at", form.starts_at.clone(), "datetime-local", true)}
                    {text("Ends", "ends_at", form.ends_at.clone(), "datetime-local", true)}
                </div>
                {text("Venue", "venue", form.venue.clone(), "text", false)}
                {text("Address", "address", form.address.clone(), "text", false)}
                {text("Online link (for online events)", "online_url", form.online_url.clone(), "url", false)}
                {step_nav(1)}
            </fieldset>

            <fieldset class="step" class:step-hidden=hidden_unless(2)>
                <legend>"Tickets"</legend>
                {move || field_error("ticket_name.0".into()).get().filter(|_| rows.with(|r| r.is_empty())).map(|m| view! {
                    <p class="notice notice-danger">{m}</p>
                })}
                <For
                    each=move || rows.get()
                    key=|(key, _, _)| *key
                    children=move |(key, ticket, taken)| {
                        let index = Signal::derive(move || {
                            rows.with(|r| r.iter().position(|(k, _, _)| *k == key).unwrap_or(0))
                        });
                        let remove = move |_| rows.update(|r| r.retain(|(k, _, _)| *k != key));
                        view! { <TicketRow ticket taken index error enhanced remove /> }
                    }
                />
                <button type="button" class="button button-secondary" hidden=move || !enhanced.get()
                    disabled={move || rows.with(|r| r.len()) >= MAX_TICKET_TYPES} on:click=add_row>
                    "Add a ticket type"
                </button>
                {step_nav(2)}
            </fieldset>

            <fieldset class="step" class:step-hidden=hidden_unless(3)>
                <legend>"Image"</legend>
                {framed(if editing { "Replace the cover image" } else { "Cover image" }, "image",
                    Signal::derive(move || image_error.get().or_else(|| field_error("image".into()).get())),
                    "JPEG, PNG or WebP, up to 10 MB and 8000 × 8000 pixels. Wide images (16:9) look best.",
                    move |id, message| view! {
                        <input id=id type="file" name="image" accept="image/jpeg,image/png,image/webp"
                            aria-describedby=message on:change=on_image />
                    }.into_any())}
                {move || preview.get().map(|src| view! {
                    <img class="image-preview" src=src alt="Preview of the cover image" />
                })}
                {step_nav(3)}
            </fieldset>

            <fieldset class="step" class:step-hidden=hidden_unless(4)>
                <legend>"Review"</legend>
                <dl class="review" hidden=move || !enhanced.get()>
                    {move || review.get().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
                {move || progress.get().map(|p| view! {
                    <label class="upload-progress">
                        "Uploading… "
                        <progress max="100" value=(p * 100.0).round()>{format!("{:.0}%", p * 100.0)}</progress>
                    </label>
                })}
                <div class="actions">
                    {if editing {
                        view! { <button type="submit" name="intent" value="save" class="button" disabled=move || progress.get().is_some()>"Save changes"</button> }.into_any()
                    } else {
                        view! {
                            <button type="submit" name="intent" value="publish" class="button" disabled=move || progress.get().is_some()>"Publish"</button>
                            <button type="submit" name="intent" value="draft" class="button button-secondary" disabled=move || progress.get().is_some()>"Save as draft"</button>
                        }.into_any()
                    }}
                </div>
                {step_nav(4)}
            </fieldset>
        </form>
    }
}

fn first_field(error: &AppError) -> Option<String> {
    match error {
        AppError::Fields(fields) => fields.first().map(|f: &FieldError| f.field.clone()),
        _ => None,
    }
}
