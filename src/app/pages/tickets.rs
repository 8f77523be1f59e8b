//! A paid order's tickets as its buyer sees them: QR codes, names and answers, and, until
//! the event starts, correcting a ticket, correcting the order's answers and transferring a
//! ticket. A named attendee sees (and may transfer) their own ticket by their email's link.
use super::answers::QuestionField;
use super::ErrorPanel;
use crate::api::orders::{get_held_ticket, CorrectOrderAnswers, CorrectTicket, TransferTicket};
use crate::domain::question::{Answer, Question, QuestionScope};
use crate::domain::{HeldTicket, TicketStatus, TicketView};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The key of the order's link (`?key=`), when the buyer came by one (a guest, an email).
pub(super) fn link_key() -> String {
    use_query_map()
        .read_untracked()
        .get("key")
        .unwrap_or_default()
}

/// A named attendee's own ticket (`/tickets/:reference?key=`), from the link in their ticket
/// email: its QR code, and a transfer while transfers are open.
#[component]
pub fn HeldTicketPage() -> impl IntoView {
    let params = use_params_map();
    let key = link_key();
    let transfer = ServerAction::<TransferTicket>::new();
    provide_context(transfer);
    let held = Resource::new(
        move || params.read().get("reference").unwrap_or_default(),
        move |reference| get_held_ticket(reference, key.clone()),
    );
    // Once passed on, the ticket (and this link) belong to the new holder.
    let transferred = move || matches!(transfer.value().get(), Some(Ok(())));
    view! {
        <Title text="Your ticket" />
        <Show
            when=transferred
            fallback=move || view! {
                <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading your ticket…"</p> }>
                    {move || Suspend::new(async move {
                        match held.await {
                            Ok(held) => view! { <HeldTicketDetails held /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Suspense>
            }
        >
            <header class="page-header">
                <h1>"Ticket transferred"</h1>
            </header>
            <p class="notice notice-success" role="status">
                "The new holder gets the ticket by email with a new code. Your code and this link no longer work."
            </p>
        </Show>
    }
}

#[component]
fn HeldTicketDetails(held: HeldTicket) -> impl IntoView {
    let group = held.event;
    let open = held.transfer_closed.is_none();
    view! {
        <header class="page-header">
            <p class="eyebrow">"Your ticket"</p>
            <h1><a href=format!("/events/{}", group.event_slug)>{group.event_title}</a></h1>
            <p class="muted">{group.event_when} " · " {group.place}</p>
        </header>
        {held.transfer_closed.map(|why| view! { <p class="notice" role="status">{why}</p> })}
        <TransferProblem />
        <TicketCards tickets=group.tickets transfer_from=open.then_some(held.order_id) />
    }
}

/// Why the last transfer or correction on this page failed, if one did.
#[component]
pub fn TransferProblem() -> impl IntoView {
    let transfer = use_context::<ServerAction<TransferTicket>>();
    let correct = use_context::<ServerAction<CorrectTicket>>();
    move || {
        transfer
            .and_then(|t| t.value().get())
            .and_then(Result::err)
            .or_else(|| correct.and_then(|c| c.value().get()).and_then(Result::err))
            .map(|error| view! { <ErrorPanel error /> })
    }
}

/// The answers given once for the order, correctable until the event starts.
#[component]
pub fn OrderAnswers(id: String, questions: Vec<Question>, answers: Vec<Answer>) -> impl IntoView {
    let asked: Vec<Question> = questions
        .into_iter()
        .filter(|q| q.scope == QuestionScope::Order)
        .collect();
    let action = use_context::<ServerAction<CorrectOrderAnswers>>();
    action.filter(|_| !asked.is_empty()).map(|action| {
        let fields = asked
            .into_iter()
            .map(|question| {
                let current = current_answer(&answers, &question.id);
                view! { <QuestionField question prefix="answers".to_owned() context=None current /> }
            })
            .collect_view();
        view! {
            <section class="panel" aria-labelledby="order-answers-heading">
                <h2 id="order-answers-heading">"Your answers"</h2>
                {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
                <ActionForm action attr:class="stack-form">
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="key" value=link_key() />
                    {fields}
                    <button type="submit" class="button-secondary">"Save answers"</button>
                </ActionForm>
            </section>
        }
    })
}

fn current_answer(answers: &[Answer], question: &str) -> Vec<String> {
    answers
        .iter()
        .find(|a| a.question == question)
        .map(|a| a.value.clone())
        .unwrap_or_default()
}

/// The tickets of an order; with `transfer_from` (the order, paid), each valid one can be
/// passed to someone else.
#[component]
pub fn TicketCards(
    tickets: Vec<TicketView>,
    #[prop(default = None)] transfer_from: Option<String>,
    /// The questions, while names and answers can be corrected.
    #[prop(default = None)]
    correct_with: Option<Vec<Question>>,
) -> impl IntoView {
    let transfer = use_context::<ServerAction<TransferTicket>>();
    let correct = use_context::<ServerAction<CorrectTicket>>();
    view! {
        <ul class="ticket-cards">
            {tickets.into_iter().map(|ticket| {
                let void = ticket.status == TicketStatus::Void;
                let label = format!("QR code of ticket {}", ticket.reference);
                view! {
                    <li class="panel ticket-card" class:void=void>
                        // The SVG is generated by the server from the ticket code.
                        <div class="qr" role="img" aria-label=label inner_html=ticket.qr_svg></div>
                        <div>
                            <p class="ticket-name">{ticket.type_name}</p>
                            <p class="muted">{ticket.holder_name.clone()}</p>
                            <p class="ticket-ref">{ticket.reference.clone()}</p>
                            {(!ticket.answers.is_empty()).then(|| view! {
                                <dl class="answers small">
                                    {ticket.answers.iter().map(|(q, a)| view! { <dt>{q.clone()}</dt><dd>{a.clone()}</dd> }).collect_view()}
                                </dl>
                            })}
                            {void.then(|| view! { <p class="badge badge-cancelled">"void"</p> })}
                            {correct.zip(transfer_from.clone()).zip(correct_with.clone()).filter(|_| !void).map(|((action, order_id), questions)| {
                                let reference = ticket.reference.clone();
                                let name_id = format!("holder-name-{reference}");
                                let fields = questions.into_iter()
                                    .filter(|q| q.scope == QuestionScope::Attendee && q.applies_to(&ticket.type_id))
                                    .map(|question| {
                                        let current = current_answer(&ticket.answer_values, &question.id);
                                        view! { <QuestionField question prefix="answers".to_owned() context=Some(reference.clone()) current /> }
                                    })
                                    .collect_view();
                                view! {
                                    <details class="transfer">
                                        <summary>{format!("Correct ticket {reference}")}</summary>
                                        <ActionForm action attr:class="stack-form">
                                            <input type="hidden" name="id" value=order_id />
                                            <input type="hidden" name="key" value=link_key() />
                                            <input type="hidden" name="reference" value=reference.clone() />
                                            <label for=name_id.clone()>"Name on the ticket"</label>
                                            <input id=name_id name="name" value=ticket.holder_name.clone() required />
                                            {fields}
                                            <button type="submit" class="button button-secondary">"Save"</button>
                                        </ActionForm>
                                    </details>
                                }
                            })}
                            {transfer.zip(transfer_from.clone()).filter(|_| ticket.status == TicketStatus::Valid).map(|(action, order_id)| {
                                let reference = ticket.reference.clone();
                                let (name_id, email_id) = (format!("to-name-{reference}"), format!("to-email-{reference}"));
                                view! {
                                    <details class="transfer">
                                        <summary>{format!("Transfer ticket {reference}")}</summary>
                                        <ActionForm action attr:class="stack-form">
                                            <input type="hidden" name="id" value=order_id />
                                            <input type="hidden" name="key" value=link_key() />
                                            <input type="hidden" name="reference" value=reference.clone() />
                                            <input type="hidden" name="issue" value=ticket.issue.to_string() />
                                            <label for=name_id.clone()>"New holder's name"</label>
                                            <input id=name_id name="name" autocomplete="off" required />
                                            <label for=email_id.clone()>"New holder's email"</label>
                                            <input id=email_id name="email" type="email" autocomplete="off" required />
                                            <p class="muted small">"They get the ticket by email with a new code; this one stops working at once."</p>
                                            <button type="submit" class="button button-secondary">"Transfer"</button>
                                        </ActionForm>
                                    </details>
                                }
                            })}
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
