//! The editor's labelled inputs: each with its message or hint, and one ticket row.
use super::*;

/// A labelled control with its message (or hint) below. `control` builds the control from
/// its id and the id of the message that describes it.
pub(super) fn framed(
    label: &'static str,
    name: &'static str,
    error: Signal<Option<String>>,
    hint: &'static str,
    control: impl FnOnce(String, String) -> AnyView,
) -> impl IntoView {
    let id = format!("field-{name}");
    let message = format!("{id}-message");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {control(id, message.clone())}
            <p id=message class="field-message">{move || error.get().unwrap_or_else(|| hint.to_owned())}</p>
        </div>
    }
}

#[component]
pub(super) fn TextField(
    label: &'static str,
    name: &'static str,
    value: String,
    kind: &'static str,
    required: bool,
    error: Signal<Option<String>>,
) -> impl IntoView {
    framed(label, name, error, "", move |id, message| {
        view! {
            <input id=id name=name type=kind value=value required=required
                aria-invalid=move || error.get().is_some().to_string() aria-describedby=message />
        }
        .into_any()
    })
}

#[component]
pub(super) fn SelectField(
    label: &'static str,
    name: &'static str,
    value: String,
    options: Vec<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    framed(label, name, error, "", move |id, message| {
        view! {
            <select id=id name=name aria-describedby=message>
                {options.into_iter().map(|o| {
                    let selected = o == value;
                    view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                }).collect_view()}
            </select>
        }
        .into_any()
    })
}

/// One ticket type's inputs. Field names repeat per row; errors carry the row's index.
#[component]
pub(super) fn TicketRow(
    ticket: TicketForm,
    taken: u32,
    index: Signal<usize>,
    error: RwSignal<Option<AppError>>,
    enhanced: RwSignal<bool>,
    remove: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let message = move |field: &'static str| {
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.message_for(&format!("{field}.{}", index.get())))
        })
    };
    let input =
        move |label: &'static str, field: &'static str, value: String, kind: &'static str| {
            let error = message(field);
            let id = move || format!("{field}-{}", index.get());
            view! {
                <div class="field" class:has-error=move || error.get().is_some()>
                    <label for=id>{label}</label>
                    <input id=id name=field type=kind value=value
                        aria-invalid=move || error.get().is_some().to_string() />
                    <p class="field-message">{move || error.get()}</p>
                </div>
            }
        };
    let label = move || format!("Ticket type {}", index.get() + 1);
    view! {
        <div class="ticket-editor" role="group" aria-label=label>
            <input type="hidden" name="ticket_id" value=ticket.id.clone() />
            <div class="field-row">
                {input("Name", "ticket_name", ticket.name.clone(), "text")}
                {input("Price", "ticket_price", ticket.price.clone(), "text")}
                {input("Capacity", "ticket_capacity", ticket.capacity.clone(), "number")}
            </div>
            <div class="field-row">
                {input("Minimum per order", "ticket_min", ticket.min_per_order.clone(), "number")}
                {input("Maximum per order", "ticket_max", ticket.max_per_order.clone(), "number")}
            </div>
            <div class="field-row">
                {input("Sales start (optional)", "ticket_sale_starts", ticket.sale_starts_at.clone(), "datetime-local")}
                {input("Sales end (optional)", "ticket_sale_ends", ticket.sale_ends_at.clone(), "datetime-local")}
            </div>
            {input("Description (optional)", "ticket_description", ticket.description.clone(), "text")}
            {(taken > 0).then(|| view! { <p class="muted small">{format!("{taken} sold or held: this type stays, and its capacity cannot go below {taken}.")}</p> })}
            <button type="button" class="button button-secondary button-small" hidden=move || !enhanced.get()
                disabled={taken > 0} on:click=remove
                aria-label=move || format!("Remove ticket type {}", index.get() + 1)>
                "Remove"
            </button>
        </div>
    }
}
