//! The organizer's sales tools of one event: capacities shared by ticket types, promo and
//! access codes, and which ticket types are hidden (sold only with a code).
use super::ErrorPanel;
use crate::api::sales::{
    get_event_sales, AddPromoCode, AddSharedCapacity, RemoveSharedCapacity, SetPromoCodeActive,
    SetSharedCapacity, SetTicketTypeHidden,
};
use crate::domain::sales::{CodeRow, QuotaRow, SalesTicketType};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The panel's actions: any of them changing reads the panel again.
#[derive(Clone, Copy)]
struct SalesActions {
    add_quota: ServerAction<AddSharedCapacity>,
    set_quota: ServerAction<SetSharedCapacity>,
    remove_quota: ServerAction<RemoveSharedCapacity>,
    add_code: ServerAction<AddPromoCode>,
    code_on: ServerAction<SetPromoCodeActive>,
    hide: ServerAction<SetTicketTypeHidden>,
}

impl SalesActions {
    fn version(&self) -> usize {
        self.add_quota.version().get()
            + self.set_quota.version().get()
            + self.remove_quota.version().get()
            + self.add_code.version().get()
            + self.code_on.version().get()
            + self.hide.version().get()
    }

    fn problem(&self) -> Option<crate::error::AppError> {
        let err = |v: Option<Result<(), crate::error::AppError>>| v.and_then(Result::err);
        err(self.add_quota.value().get())
            .or_else(|| err(self.set_quota.value().get()))
            .or_else(|| err(self.remove_quota.value().get()))
            .or_else(|| err(self.add_code.value().get()))
            .or_else(|| err(self.code_on.value().get()))
            .or_else(|| err(self.hide.value().get()))
    }
}

#[component]
pub fn SalesPanel(event_id: String) -> impl IntoView {
    let actions = SalesActions {
        add_quota: ServerAction::new(),
        set_quota: ServerAction::new(),
        remove_quota: ServerAction::new(),
        add_code: ServerAction::new(),
        code_on: ServerAction::new(),
        hide: ServerAction::new(),
    };
    let data = {
        let event_id = event_id.clone();
        Resource::new(
            move || actions.version(),
            move |_| get_event_sales(event_id.clone()),
        )
    };
    let event = StoredValue::new(event_id);
    view! {
        <section class="panel" aria-labelledby="sales-heading">
            <h2 id="sales-heading">"Sales tools"</h2>
            {move || actions.problem().map(|error| view! { <ErrorPanel error /> })}
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading sales tools…"</p> }>
                {move || Suspend::new(async move {
                    data.await.ok().map(|data| view! {
                        <TicketVisibility event=event.get_value() types=data.ticket_types.clone() actions />
                        <SharedCapacities event=event.get_value() quotas=data.quotas types=data.ticket_types.clone() actions />
                        <PromoCodes event=event.get_value() codes=data.codes types=data.ticket_types currency=data.currency actions />
                    })
                })}
            </Transition>
        </section>
    }
}

/// Boxes to tick ticket types, as `ticket_types[<n>]`.
fn type_boxes(types: Vec<SalesTicketType>) -> impl IntoView {
    types
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            view! {
                <label class="checkbox"><input type="checkbox" name=format!("ticket_types[{i}]") value=t.id />" " {t.name}</label>
            }
        })
        .collect_view()
}

#[component]
fn TicketVisibility(
    event: String,
    types: Vec<SalesTicketType>,
    actions: SalesActions,
) -> impl IntoView {
    view! {
        <h3>"Hidden ticket types"</h3>
        <p class="muted small">"A hidden type is sold only to buyers with a code that names it (speakers, sponsors)."</p>
        <ul class="holder-list" aria-label="Ticket types">
            {types.into_iter().map(|t| {
                let event = event.clone();
                let label = format!("{} {}", if t.hidden { "Show" } else { "Hide" }, t.name);
                view! {
                    <li>
                        <span>{t.name.clone()} {t.hidden.then_some(" · hidden")}</span>
                        <ActionForm action=actions.hide attr:class="inline-form">
                            <input type="hidden" name="event_id" value=event />
                            <input type="hidden" name="ticket_type_id" value=t.id />
                            <input type="hidden" name="hidden" value=if t.hidden { "no" } else { "yes" } />
                            <button type="submit" class="button-secondary button-small" aria-label=label>
                                {if t.hidden { "Show" } else { "Hide" }}
                            </button>
                        </ActionForm>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn SharedCapacities(
    event: String,
    quotas: Vec<QuotaRow>,
    types: Vec<SalesTicketType>,
    actions: SalesActions,
) -> impl IntoView {
    let rows = quotas
        .into_iter()
        .map(|q| {
            let field = format!("quota-capacity-{}", q.id);
            let (event, id, name) = (event.clone(), q.id.clone(), q.name.clone());
            let (event2, id2) = (event.clone(), id.clone());
            view! {
                <li>
                    <span>
                        <strong>{q.name.clone()}</strong> " · " {q.ticket_types.join(", ")}
                        <span class="muted">{format!(" · {} sold, {} held, {} left of {}", q.sold, q.held, q.available, q.capacity)}</span>
                    </span>
                    <ActionForm action=actions.set_quota attr:class="inline-form">
                        <input type="hidden" name="event_id" value=event />
                        <input type="hidden" name="quota_id" value=id />
                        <label for=field.clone() class="visually-hidden">{format!("Capacity of {name}")}</label>
                        <input id=field name="capacity" type="number" min="1" value=q.capacity.to_string() class="quantity" />
                        <button type="submit" class="button-secondary button-small">"Save"</button>
                    </ActionForm>
                    <ActionForm action=actions.remove_quota attr:class="inline-form">
                        <input type="hidden" name="event_id" value=event2 />
                        <input type="hidden" name="quota_id" value=id2 />
                        <button type="submit" class="button-secondary button-small" aria-label=format!("Remove {}", q.name)>"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <h3>"Shared capacity"</h3>
        <p class="muted small">"Ticket types that share a room: every sale counts against each limit it is in."</p>
        <ul class="holder-list" aria-label="Shared capacities">{rows}</ul>
        <ActionForm action=actions.add_quota attr:class="stack-form">
            <input type="hidden" name="event_id" value=event />
            <label for="quota-name">"Name"</label>
            <input id="quota-name" name="name" required maxlength="80" placeholder="Main hall" />
            <label for="quota-capacity">"Capacity"</label>
            <input id="quota-capacity" name="capacity" type="number" min="1" required />
            <fieldset>
                <legend>"Shared by"</legend>
                {type_boxes(types)}
            </fieldset>
            <button type="submit" class="button-secondary">"Add shared capacity"</button>
        </ActionForm>
    }
}

#[component]
fn PromoCodes(
    event: String,
    codes: Vec<CodeRow>,
    types: Vec<SalesTicketType>,
    currency: String,
    actions: SalesActions,
) -> impl IntoView {
    let rows = codes
        .into_iter()
        .map(|c| {
            let uses = match c.max_uses {
                Some(max) => format!("{} of {max} used", c.uses),
                None => format!("{} used", c.uses),
            };
            let applies = if c.ticket_types.is_empty() {
                "all ticket types".to_owned()
            } else {
                c.ticket_types.join(", ")
            };
            let per_order = c
                .per_order
                .map(|n| format!(", up to {n} tickets per order"))
                .unwrap_or_default();
            let label = format!("{} {}", if c.active { "Switch off" } else { "Switch on" }, c.code);
            let event = event.clone();
            view! {
                <li>
                    <span>
                        <strong>{c.code.clone()}</strong> " · " {c.discount.clone()} " · " {applies}
                        <span class="muted">{format!(" · {} · {uses}{per_order}", c.window)}{(!c.active).then_some(" · off")}</span>
                        <br /><a class="small" href=c.link.clone()>{c.link.clone()}</a>
                    </span>
                    <ActionForm action=actions.code_on attr:class="inline-form">
                        <input type="hidden" name="event_id" value=event />
                        <input type="hidden" name="code_id" value=c.id.clone() />
                        <input type="hidden" name="active" value=if c.active { "no" } else { "yes" } />
                        <button type="submit" class="button-secondary button-small" aria-label=label>
                            {if c.active { "Switch off" } else { "Switch on" }}
                        </button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <h3>"Promo and access codes"</h3>
        <ul class="holder-list" aria-label="Codes">{rows}</ul>
        <ActionForm action=actions.add_code attr:class="stack-form">
            <input type="hidden" name="event_id" value=event />
            <label for="code-code">"Code"</label>
            <input id="code-code" name="fields[code]" required maxlength="32" placeholder="SPRING-25" autocomplete="off" />
            <label for="code-discount">"Discount"</label>
            <select id="code-discount" name="fields[discount]">
                <option value="percent">"Percentage off"</option>
                <option value="fixed">{format!("Amount off ({currency})")}</option>
                <option value="none">"None (access code only)"</option>
            </select>
            <label for="code-amount">"Percentage or amount"</label>
            <input id="code-amount" name="fields[amount]" inputmode="decimal" />
            <fieldset>
                <legend>"For these ticket types (none: all visible ones; hidden ones ticked here are revealed)"</legend>
                {type_boxes(types)}
            </fieldset>
            <label for="code-from">"Valid from (optional)"</label>
            <input id="code-from" name="fields[valid_from]" type="datetime-local" />
            <label for="code-until">"Valid until (optional)"</label>
            <input id="code-until" name="fields[valid_until]" type="datetime-local" />
            <label for="code-max">"Total uses (optional)"</label>
            <input id="code-max" name="fields[max_uses]" type="number" min="1" />
            <label for="code-per-order">"Discounted tickets per order (optional)"</label>
            <input id="code-per-order" name="fields[per_order]" type="number" min="1" />
            <button type="submit" class="button-secondary">"Add code"</button>
        </ActionForm>
    }
}
