//! After the ticket selector: the order page, the demo gateway's test payment page and
//! "My tickets".
use super::guard::SignedIn;
use super::tickets::{link_key, OrderAnswers, TicketCards, TransferProblem};
use super::ErrorPanel;
use crate::api::orders::{
    get_order, list_dev_mailbox, list_my_tickets, CancelPayment, ConfirmPayment,
    CorrectOrderAnswers, CorrectTicket, PayDemoOrder, ResendTickets as ResendTicketsAction,
    TransferTicket,
};
use crate::domain::{Money, OrderLineView, OrderStatus, OrderView, TicketGroup};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The order of the page's `:id`, read again whenever `refresh` changes (an action ran).
fn order_resource(
    refresh: impl Fn() -> usize + Send + Sync + 'static,
) -> Resource<Result<OrderView, crate::error::AppError>> {
    let params = use_params_map();
    let key = link_key();
    Resource::new(
        move || (params.read().get("id").unwrap_or_default(), refresh()),
        move |(id, _)| get_order(id, Some(key.clone())),
    )
}

/// The page's content for whoever may see it: by the link's key, or signed in.
#[component]
fn BuyerOnly(children: ChildrenFn) -> impl IntoView {
    if link_key().is_empty() {
        view! { <SignedIn>{children()}</SignedIn> }.into_any()
    } else {
        children().into_any()
    }
}

/// What the buyer came back from: Stripe's success link carries the session, its cancel
/// link `cancelled`. Neither changes anything by itself: the page offers the action.
#[derive(Clone)]
struct Return {
    session_id: Option<String>,
    left_payment: bool,
    confirm: ServerAction<ConfirmPayment>,
    cancel: ServerAction<CancelPayment>,
}

#[component]
pub fn OrderPage() -> impl IntoView {
    view! {
        <Title text="Your order" />
        <BuyerOnly>
            <OrderContent />
        </BuyerOnly>
    }
}

#[component]
fn OrderContent() -> impl IntoView {
    let confirm = ServerAction::<ConfirmPayment>::new();
    let cancel = ServerAction::<CancelPayment>::new();
    let transfer = ServerAction::<TransferTicket>::new();
    let correct = ServerAction::<CorrectTicket>::new();
    let correct_order = ServerAction::<CorrectOrderAnswers>::new();
    provide_context(transfer);
    provide_context(correct);
    provide_context(correct_order);
    let order = order_resource(move || {
        confirm.version().get()
            + cancel.version().get()
            + transfer.version().get()
            + correct.version().get()
            + correct_order.version().get()
    });
    let query = use_query_map();
    let back = move || Return {
        session_id: query.read().get("session_id"),
        left_payment: query.read().get("cancelled").is_some(),
        confirm,
        cancel,
    };
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading your order…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(order) => view! { <OrderDetails order back=back() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OrderDetails(order: OrderView, #[prop(optional)] back: Option<Return>) -> impl IntoView {
    let event_href = format!("/events/{}", order.event_slug);
    let status = match order.status {
        OrderStatus::Paid => view! {
            <p class="notice notice-success" role="status">
                "You're going! Your tickets are below and on their way to your inbox."
            </p>
            {link_key().is_empty().then(|| view! { <ResendTickets id=order.id.clone() /> })}
        }
        .into_any(),
        OrderStatus::Pending => match back {
            Some(back) if back.session_id.is_some() => {
                view! { <ConfirmReturn id=order.id.clone() back /> }.into_any()
            }
            Some(back) if back.left_payment => {
                view! { <LeftPayment id=order.id.clone() back /> }.into_any()
            }
            _ => {
                let pay = order.test_mode.then(|| {
                    view! {
                        <a class="button" href=format!("/pay/demo/{}?key={}", order.id, crate::domain::urlencode(&link_key()))>"Continue to the test payment"</a>
                    }
                });
                view! {
                    <p class="notice" role="status">
                        "Waiting for your payment. Your tickets are held for you for a few minutes."
                    </p>
                    {pay}
                }
                .into_any()
            }
        },
        OrderStatus::Expired | OrderStatus::Cancelled => view! {
            <p class="notice notice-danger" role="status">
                "This order was not paid, so its tickets went back on sale. Nothing was charged."
            </p>
            <a class="button" href=event_href.clone()>"Choose tickets again"</a>
        }
        .into_any(),
        OrderStatus::Refunded => {
            let why = if order.late_payment_refunded {
                "Your payment arrived after your hold ran out and the tickets had sold out, so it was refunded in full."
            } else {
                "This order was refunded; its tickets are no longer valid."
            };
            view! { <p class="notice notice-danger" role="status">{why}</p> }.into_any()
        }
    };
    view! {
        <header class="page-header">
            <p class="eyebrow">{format!("Order {}", order.reference)}</p>
            <h1>{order.event_title.clone()}</h1>
            <p class="muted">{order.event_when.clone()} " · " <a href=event_href>"Event page"</a></p>
        </header>
        {status}
        {order.partly_refunded.map(|amount| view! {
            <p class="notice" role="status">{format!("{amount} of this order was refunded to you; your tickets stay valid.")}</p>
        })}
        <OrderSummary lines=order.lines.clone() total=order.total />
        {(!order.tickets.is_empty()).then(|| view! {
            <section aria-labelledby="tickets-heading">
                <h2 id="tickets-heading">"Tickets"</h2>
                <TransferProblem />
                <TicketCards tickets=order.tickets.clone()
                    transfer_from=(order.status == OrderStatus::Paid).then(|| order.id.clone())
                    correct_with=order.correctable.clone() />
            </section>
        })}
        {order.correctable.clone().map(|questions| view! {
            <OrderAnswers id=order.id.clone() questions answers=order.order_answers.clone() />
        })}
    }
}

/// Back from Stripe's payment page: a form asks the server to check the payment with
/// Stripe (works without JavaScript); once hydrated, the page sends it by itself.
#[component]
fn ConfirmReturn(id: String, back: Return) -> impl IntoView {
    let confirm = back.confirm;
    let session_id = back.session_id.unwrap_or_default();
    let request = ConfirmPayment {
        id: id.clone(),
        session_id: session_id.clone(),
        key: Some(link_key()),
    };
    Effect::new(move |done: Option<()>| {
        if done.is_none() {
            confirm.dispatch(request.clone());
        }
    });
    view! {
        <p class="notice" role="status">
            "Thanks! We are confirming your payment with Stripe; your tickets appear here as soon as it is through."
        </p>
        <ActionForm action=confirm attr:class="inline-form">
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="session_id" value=session_id />
            <input type="hidden" name="key" value=link_key() />
            <button type="submit" class="button" disabled=move || confirm.pending().get()>
                "Check my payment now"
            </button>
        </ActionForm>
        {move || confirm.value().get().and_then(Result::err).map(|e| view! {
            <p class="notice notice-danger" role="alert">{e.to_string()}</p>
        })}
    }
}

/// Back from Stripe's cancel link: the seats stay held until the buyer says otherwise or
/// the hold runs out.
#[component]
fn LeftPayment(id: String, back: Return) -> impl IntoView {
    let cancel = back.cancel;
    view! {
        <p class="notice" role="status">
            "You left the payment page. Your tickets stay held for a few minutes; nothing was charged."
        </p>
        <ActionForm action=cancel attr:class="inline-form">
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="key" value=link_key() />
            <button type="submit" class="button button-secondary" disabled=move || cancel.pending().get()>
                "Cancel this order"
            </button>
        </ActionForm>
        {move || cancel.value().get().and_then(Result::err).map(|e| view! {
            <p class="notice notice-danger" role="alert">{e.to_string()}</p>
        })}
    }
}

/// "Email my tickets again", for the buyer (the organizer has the same on the event page).
#[component]
pub fn ResendTickets(id: String) -> impl IntoView {
    let resend = ServerAction::<ResendTicketsAction>::new();
    view! {
        <ActionForm action=resend attr:class="inline-form">
            <input type="hidden" name="id" value=id />
            <button type="submit" class="button button-secondary button-small" disabled=move || resend.pending().get()>
                "Email the tickets again"
            </button>
            {move || resend.value().get().map(|result| match result {
                Ok(()) => view! { <span class="muted small" role="status">"Sent again."</span> }.into_any(),
                Err(e) => view! { <span class="notice notice-danger small" role="alert">{e.to_string()}</span> }.into_any(),
            })}
        </ActionForm>
    }
}

#[component]
pub fn OrderSummary(lines: Vec<OrderLineView>, total: Money) -> impl IntoView {
    view! {
        <section class="panel" aria-label="Order summary">
            <table>
                <tbody>
                    {lines.into_iter().map(|line| view! {
                        <tr>
                            <td>{format!("{} × {}", line.quantity, line.name)}</td>
                            <td class="num">{line.subtotal.to_string()}</td>
                        </tr>
                    }).collect_view()}
                    <tr>
                        <th scope="row">"Total"</th>
                        <td class="num"><strong>{total.to_string()}</strong></td>
                    </tr>
                </tbody>
            </table>
        </section>
    }
}

/// The demo gateway: a local page that stands in for Stripe Checkout, clearly marked.
#[component]
pub fn DemoPaymentPage() -> impl IntoView {
    view! {
        <Title text="Test payment" />
        <BuyerOnly>
            <DemoPaymentContent />
        </BuyerOnly>
    }
}

#[component]
fn DemoPaymentContent() -> impl IntoView {
    let pay = ServerAction::<PayDemoOrder>::new();
    let cancel = ServerAction::<CancelPayment>::new();
    let order = order_resource(move || pay.version().get() + cancel.version().get());
    let error = move || {
        pay.value()
            .get()
            .and_then(Result::err)
            .or_else(|| cancel.value().get().and_then(Result::err))
            .map(|e| view! { <p class="notice notice-danger" role="alert">{e.to_string()}</p> })
    };
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(order) if order.status == OrderStatus::Pending => {
                        let (pay_id, cancel_id) = (order.id.clone(), order.id.clone());
                        view! {
                        <section class="panel demo-payment">
                            <p class="test-mode-banner" role="note">
                                "Test mode: this is TickEx's demo payment page. No card is needed and no money moves."
                            </p>
                            <h1>{format!("Pay {} for {}", order.total, order.event_title)}</h1>
                            <OrderSummary lines=order.lines.clone() total=order.total />
                            {error}
                            <div class="actions">
                                <ActionForm action=pay attr:class="inline-form">
                                    <input type="hidden" name="id" value=pay_id />
                                    <input type="hidden" name="key" value=link_key() />
                                    <button type="submit" class="button">{format!("Pay {}", order.total)}</button>
                                </ActionForm>
                                <ActionForm action=cancel attr:class="inline-form">
                                    <input type="hidden" name="id" value=cancel_id />
                                    <input type="hidden" name="key" value=link_key() />
                                    <button type="submit" class="button button-secondary">"Cancel payment"</button>
                                </ActionForm>
                            </div>
                        </section>
                        }
                        .into_any()
                    }
                    Ok(order) => view! { <OrderDetails order /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn MyTicketsPage() -> impl IntoView {
    view! {
        <Title text="My tickets" />
        <SignedIn>
            <MyTicketsContent />
        </SignedIn>
    }
}

#[component]
fn MyTicketsContent() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_my_tickets());
    view! {
        <header class="page-header">
            <h1>"My tickets"</h1>
        </header>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading your tickets…"</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(groups) if groups.is_empty() => view! {
                        <div class="panel empty-state">
                            <h2>"No tickets yet"</h2>
                            <p><a href="/">"Find an event"</a></p>
                        </div>
                    }
                    .into_any(),
                    Ok(groups) => groups
                        .into_iter()
                        .map(|group| view! { <TicketGroupView group /> })
                        .collect_view()
                        .into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TicketGroupView(group: TicketGroup) -> impl IntoView {
    let heading = format!("tickets-{}", group.event_slug);
    let labelledby = heading.clone();
    view! {
        <section class="ticket-group" aria-labelledby=labelledby>
            <h2 id=heading>
                <a href=format!("/events/{}", group.event_slug)>{group.event_title}</a>
            </h2>
            <p class="muted">{group.event_when} " · " {group.place}</p>
            <TicketCards tickets=group.tickets />
        </section>
    }
}

/// What TickEx would have emailed, when no email provider is configured.
#[component]
pub fn DevMailboxPage() -> impl IntoView {
    let emails = Resource::new(|| (), |_| list_dev_mailbox());
    view! {
        <Title text="Dev mailbox" />
        <header class="page-header">
            <h1>"Dev mailbox"</h1>
            <p class="muted">"No email provider is configured, so TickEx keeps its emails here instead of sending them."</p>
        </header>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match emails.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No emails yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table>
                                <thead><tr>
                                    <th scope="col">"Subject"</th><th scope="col">"To"</th>
                                    <th scope="col">"Queued"</th><th scope="col">"Status"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|email| view! {
                                        <tr>
                                            // A page of its own: the email's inline styles need a CSP the app's pages do not allow.
                                            <td><a href=format!("/dev/mailbox/{}", email.id) rel="external">{email.subject}</a></td>
                                            <td>{email.to}</td>
                                            <td>{email.queued}</td>
                                            <td>{email.status} {email.error.map(|e| format!(" ({e})"))}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
