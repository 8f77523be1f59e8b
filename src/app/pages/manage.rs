//! The organizer's view of one event's sales: orders with search and status filter,
//! attendees, CSV exports, and each order's detail with its status log and actions.
use super::doors::DoorsPanel;
use super::guard::OrganizerOnly;
use super::orders::{OrderSummary, ResendTickets};
use super::questions::QuestionsPanel;
use super::sales::SalesPanel;
use super::waitlist::WaitlistPanel;
use super::ErrorPanel;
use crate::api::checkin::UndoCheckIn;
use crate::api::events::{get_event_for_edit, SetTicketTransfers};
use crate::api::orders::{
    get_managed_order, list_event_attendees, list_event_orders, CancelOrder, RefundOrder,
    SendTicketsTo,
};
use crate::domain::{AttendeeRow, OrderStatus, OrganizerOrderRow, TicketStatus};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/dashboard/events/:id/orders?q=…&status=…`: a plain GET form, so search works
/// without JavaScript and a result can be bookmarked.
#[component]
pub fn EventSalesPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let text = move || query.read().get("q").unwrap_or_default();
    let status = move || query.read().get("status").unwrap_or_default();
    let transfers = ServerAction::<SetTicketTransfers>::new();
    let event = Resource::new(
        move || (id(), transfers.version().get()),
        |(id, _)| get_event_for_edit(id),
    );
    let refund = ServerAction::<RefundOrder>::new();
    let cancel = ServerAction::<CancelOrder>::new();
    let undo = ServerAction::<UndoCheckIn>::new();
    let orders = Resource::new(
        move || {
            (
                id(),
                text(),
                status(),
                refund.version().get(),
                cancel.version().get(),
            )
        },
        |(id, text, status, _, _)| list_event_orders(id, text, status),
    );
    let attendees = Resource::new(
        move || (id(), text(), refund.version().get(), undo.version().get()),
        |(id, text, _, _)| list_event_attendees(id, text),
    );
    view! {
        <Title text="Orders and attendees" />
        <OrganizerOnly>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading event…"</p> }>
                {move || Suspend::new(async move {
                    match event.await {
                        Ok(data) => view! {
                            <header class="page-header">
                                <p><a href="/dashboard">"← Dashboard"</a></p>
                                <h1>"Orders and attendees: " {data.form.title.clone()}</h1>
                                <p>
                                    <a href=format!("/dashboard/events/{}", data.id)>"Edit event"</a>
                                    " · "
                                    <a href=format!("/dashboard/events/{}/export/orders", data.id) rel="external" download>"Orders CSV"</a>
                                    " · "
                                    <a href=format!("/dashboard/events/{}/export/attendees", data.id) rel="external" download>"Attendees CSV"</a>
                                </p>
                                <ActionForm action=transfers attr:class="inline-form">
                                    <input type="hidden" name="event_id" value=data.id.clone() />
                                    <input type="hidden" name="allowed" value=if data.transfers_allowed { "no" } else { "yes" } />
                                    <span class="muted">{if data.transfers_allowed {
                                        "Buyers may transfer tickets until the event starts."
                                    } else {
                                        "Ticket transfers are not allowed."
                                    }}</span>
                                    <button type="submit" class="button-secondary button-small">
                                        {if data.transfers_allowed { "Stop transfers" } else { "Allow transfers" }}
                                    </button>
                                </ActionForm>
                            </header>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
            // Its resources are made here, outside the event's Suspense, so the page hydrates
            // with them in the same order as the server rendered them.
            <DoorsPanel event_id=params.read_untracked().get("id").unwrap_or_default() />
            <QuestionsPanel event_id=params.read_untracked().get("id").unwrap_or_default() />
            <SalesPanel event_id=params.read_untracked().get("id").unwrap_or_default() />
            <WaitlistPanel event_id=params.read_untracked().get("id").unwrap_or_default() />
            <form method="get" role="search" class="panel search-form">
                <label for="order-search">"Search orders"</label>
                <input id="order-search" type="search" name="q" prop:value=text
                    maxlength="100" placeholder="Reference, name or email" />
                <label for="order-status">"Status"</label>
                <select id="order-status" name="status">
                    <option value="" selected=move || status().is_empty()>"Any status"</option>
                    {OrderStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=move || status() == s.as_str()>{s.as_str()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button">"Search"</button>
            </form>
            <ActionError refund cancel />
            <section class="panel" aria-labelledby="orders-heading">
                <h2 id="orders-heading">"Orders"</h2>
                <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading orders…"</p> }>
                    {move || Suspend::new(async move {
                        match orders.await {
                            Ok(rows) if rows.is_empty() => view! { <p class="muted">"No orders match."</p> }.into_any(),
                            Ok(rows) => view! { <OrdersTable rows refund cancel /> }.into_any(),
                            Err(error) => view! { <p class="notice notice-danger" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="panel" aria-labelledby="attendees-heading">
                <h2 id="attendees-heading">"Attendees"</h2>
                {move || undo.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
                <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading attendees…"</p> }>
                    {move || Suspend::new(async move {
                        match attendees.await {
                            Ok(rows) if rows.is_empty() => view! { <p class="muted">"No tickets match."</p> }.into_any(),
                            Ok(rows) => view! { <AttendeesTable rows undo=(id(), undo) /> }.into_any(),
                            Err(error) => view! { <p class="notice notice-danger" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </OrganizerOnly>
    }
}

/// Why the last refund or cancel failed, if it did.
#[component]
fn ActionError(
    refund: ServerAction<RefundOrder>,
    cancel: ServerAction<CancelOrder>,
) -> impl IntoView {
    move || {
        let refund_error = refund.value().get().and_then(Result::err);
        let cancel_error = cancel.value().get().and_then(Result::err);
        refund_error.or(cancel_error).map(|e| {
            view! { <p class="notice notice-danger" role="alert">{e.to_string()}</p> }
        })
    }
}

/// Refund for a paid order, cancel for one still waiting for payment.
#[component]
fn OrderActions(
    id: String,
    reference: String,
    status: OrderStatus,
    refund: ServerAction<RefundOrder>,
    cancel: ServerAction<CancelOrder>,
) -> impl IntoView {
    match status {
        OrderStatus::Paid => view! {
            <ResendTickets id=id.clone() />
            <ActionForm action=refund attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="button button-secondary button-small"
                    aria-label=format!("Refund order {reference}")>"Refund"</button>
            </ActionForm>
        }
        .into_any(),
        OrderStatus::Pending => view! {
            <ActionForm action=cancel attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="button button-secondary button-small"
                    aria-label=format!("Cancel order {reference}")>"Cancel"</button>
            </ActionForm>
        }
        .into_any(),
        _ => ().into_any(),
    }
}

#[component]
fn OrdersTable(
    rows: Vec<OrganizerOrderRow>,
    refund: ServerAction<RefundOrder>,
    cancel: ServerAction<CancelOrder>,
) -> impl IntoView {
    let capped = rows.len() >= crate::domain::ORGANIZER_LIST_LIMIT;
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr>
                    <th scope="col">"Order"</th><th scope="col">"Buyer"</th>
                    <th scope="col">"Placed"</th><th scope="col">"Status"</th>
                    <th scope="col" class="num">"Tickets"</th><th scope="col" class="num">"Total"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr>
                            <td><a href=format!("/dashboard/orders/{}", row.id)>{row.reference.clone()}</a></td>
                            <td>{row.buyer_name}<br /><span class="muted small">{row.buyer_email}</span></td>
                            <td>{row.created}</td>
                            <td>
                                <span class=format!("badge badge-{}", row.status.as_str())>{row.status.as_str()}</span>
                                {row.late_payment_refunded.then(|| view! { <span class="muted small">" (late payment)"</span> })}
                                {row.email_status.clone().map(|s| view! { <br /><span class="muted small">{format!("email: {s}")}</span> })}
                            </td>
                            <td class="num">{row.tickets}</td>
                            <td class="num">{row.total.to_string()}</td>
                            <td><OrderActions id=row.id reference=row.reference status=row.status refund cancel /></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {capped.then(|| view! {
            <p class="muted small">"Showing the newest orders only; search to find older ones, or export the CSV."</p>
        })}
    }
}

fn ticket_status_label(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Valid => "valid",
        TicketStatus::Void => "void",
        TicketStatus::CheckedIn => "checked in",
    }
}

/// Tickets as rows; with `undo` (the event and the action), a checked-in ticket can be
/// taken back.
#[component]
fn AttendeesTable(
    rows: Vec<AttendeeRow>,
    #[prop(optional)] undo: Option<(String, ServerAction<UndoCheckIn>)>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr>
                    <th scope="col">"Ticket"</th><th scope="col">"Name"</th>
                    <th scope="col">"Email"</th><th scope="col">"Type"</th>
                    <th scope="col">"Status"</th><th scope="col">"Checked in"</th>
                    <th scope="col">"Answers"</th><th scope="col">"Order"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr>
                            <td>{row.reference.clone()}</td>
                            <td>{row.holder_name.clone()}
                                {row.holder_email.clone().map(|email| view! { <br /><span class="muted small">{email}</span> })}</td>
                            <td>{row.buyer_email}</td>
                            <td>{row.type_name}</td>
                            <td>{ticket_status_label(row.status)}</td>
                            <td>
                                {row.checked_in.clone().unwrap_or_default()}
                                {undo.clone().filter(|_| row.status == TicketStatus::CheckedIn).map(|(event_id, undo)| {
                                    let label = format!("Undo the check-in of {}", row.holder_name);
                                    view! {
                                        <ActionForm action=undo attr:class="inline-form">
                                            <input type="hidden" name="event_id" value=event_id />
                                            <input type="hidden" name="reference" value=row.reference.clone() />
                                            <button type="submit" class="button-secondary" aria-label=label>"Undo"</button>
                                        </ActionForm>
                                    }
                                })}
                            </td>
                            <td class="small">{row.answers.iter().map(|(q, a)| format!("{q}: {a}")).collect::<Vec<_>>().join("; ")}</td>
                            <td><a href=format!("/dashboard/orders/{}", row.order_id)>{row.order_reference}</a></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `/dashboard/orders/:id`: one order, its tickets, and every status change with who made it.
#[component]
pub fn ManagedOrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let refund = ServerAction::<RefundOrder>::new();
    let cancel = ServerAction::<CancelOrder>::new();
    let send_to = ServerAction::<SendTicketsTo>::new();
    let order = Resource::new(
        move || {
            (
                id(),
                refund.version().get(),
                cancel.version().get(),
                send_to.version().get(),
            )
        },
        |(id, _, _, _)| get_managed_order(id),
    );
    view! {
        <Title text="Order" />
        <OrganizerOnly>
            <ActionError refund cancel />
            {move || send_to.value().get().map(|result| match result {
                Ok(()) => view! { <p class="notice" role="status">"The tickets are on their way to the corrected address."</p> }.into_any(),
                Err(e) => view! { <p class="notice notice-danger" role="alert">{e.message_for("email").unwrap_or_else(|| e.to_string())}</p> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading order…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Ok(order) => view! {
                            <header class="page-header">
                                <p><a href=format!("/dashboard/events/{}/orders", order.event_id)>
                                    "← Orders of " {order.event_title.clone()}
                                </a></p>
                                <h1>"Order " {order.reference.clone()}</h1>
                                <p>
                                    <span class=format!("badge badge-{}", order.status.as_str())>{order.status.as_str()}</span>
                                    {order.late_payment_refunded.then_some(" (paid after its hold lapsed, refunded)")}
                                    " · placed " {order.created.clone()}
                                </p>
                                {order.partly_refunded.map(|amount| view! { <p>{format!("Refunded in part: {amount} (the tickets stay valid)")}</p> })}
                                <p>{order.buyer_name.clone()} " · " {order.buyer_email.clone()}</p>
                                {order.email_status.clone().map(|s| view! { <p class="muted">{format!("Ticket email: {s}")}</p> })}
                                {(order.status == OrderStatus::Paid && order.email_status.as_deref().is_some_and(undeliverable)).then(|| view! {
                                    <CorrectAddress id=order.id.clone() address=order.buyer_email.clone() send_to />
                                })}
                                <div class="actions">
                                    <OrderActions id=order.id.clone() reference=order.reference.clone()
                                        status=order.status refund cancel />
                                </div>
                            </header>
                            <OrderSummary lines=order.lines.clone() total=order.total />
                            <section class="panel" aria-labelledby="tickets-heading">
                                <h2 id="tickets-heading">"Tickets"</h2>
                                {if order.tickets.is_empty() {
                                    view! { <p class="muted">"No tickets: they are issued when the order is paid."</p> }.into_any()
                                } else {
                                    view! { <AttendeesTable rows=order.tickets.clone() /> }.into_any()
                                }}
                            </section>
                            <section class="panel" aria-labelledby="log-heading">
                                <h2 id="log-heading">"Status history"</h2>
                                <ol class="status-log">
                                    {order.log.clone().into_iter().map(|entry| view! {
                                        <li>
                                            <strong>{entry.from.map(|from| format!("{from} → ")).unwrap_or_default()}{entry.to}</strong>
                                            " · " {entry.at} " · by " {entry.actor}
                                            {entry.note.map(|note| view! { <br /><span class="muted small">{note}</span> })}
                                        </li>
                                    }).collect_view()}
                                </ol>
                            </section>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </OrganizerOnly>
    }
}

/// Whether the provider reported the ticket email as not received.
fn undeliverable(status: &str) -> bool {
    status.starts_with("bounced") || status.starts_with("complained")
}

/// A bounced ticket email: the organizer corrects the address and sends the tickets again.
#[component]
fn CorrectAddress(
    id: String,
    address: String,
    send_to: ServerAction<SendTicketsTo>,
) -> impl IntoView {
    view! {
        <section class="notice notice-danger" aria-labelledby="bounce-heading">
            <h2 id="bounce-heading">"The ticket email did not arrive"</h2>
            <p>{format!("The email to {address} was not accepted. Check the address with the buyer, correct it and send the tickets again.")}</p>
            <ActionForm action=send_to attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <label for="corrected-email">"Send the tickets to"</label>
                <input id="corrected-email" type="email" name="email" required value=address />
                <button type="submit" class="button button-small">"Send tickets again"</button>
            </ActionForm>
        </section>
    }
}
