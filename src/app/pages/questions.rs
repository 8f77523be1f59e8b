//! The organizer's questions of one event: the list (hide or show; never delete, so no
//! answer loses its question) and a form to add one.
use super::ErrorPanel;
use crate::api::questions::{list_event_questions, AddEventQuestion, SetQuestionHidden};
use crate::domain::question::{QuestionKind, QuestionScope};
use leptos::form::ActionForm;
use leptos::prelude::*;

fn kind_label(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Text => "Short text",
        QuestionKind::LongText => "Long text",
        QuestionKind::Choice => "One choice",
        QuestionKind::Multiple => "Several choices",
        QuestionKind::Checkbox => "Checkbox",
    }
}

#[component]
pub fn QuestionsPanel(event_id: String) -> impl IntoView {
    let add = ServerAction::<AddEventQuestion>::new();
    let hide = ServerAction::<SetQuestionHidden>::new();
    let data = {
        let event_id = event_id.clone();
        Resource::new(
            move || (add.version().get(), hide.version().get()),
            move |_| list_event_questions(event_id.clone()),
        )
    };
    let problem = move || {
        add.value()
            .get()
            .and_then(Result::err)
            .or_else(|| hide.value().get().and_then(Result::err))
            .map(|error| view! { <ErrorPanel error /> })
    };
    let event = StoredValue::new(event_id);
    view! {
        <section class="panel" aria-labelledby="questions-heading">
            <h2 id="questions-heading">"Questions at checkout"</h2>
            {problem}
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading questions…"</p> }>
                {move || Suspend::new(async move {
                    data.await.ok().map(|data| {
                        let types = data.ticket_types.clone();
                        view! {
                            {data.rows.is_empty().then(|| view! { <p class="muted">"No questions yet: buyers only give names."</p> })}
                            <ul class="holder-list" aria-label="Questions">
                                {data.rows.into_iter().map(|row| {
                                    let q = row.question;
                                    let who = match q.scope {
                                        QuestionScope::Order => "once per order",
                                        QuestionScope::Attendee => "for every ticket",
                                    };
                                    let label = format!("{} {}", if row.hidden { "Show" } else { "Hide" }, q.label);
                                    view! {
                                        <li>
                                            <span>{q.label.clone()} " · " <span class="muted">
                                                {format!("{}, {who}{}{}", kind_label(q.kind),
                                                    if q.required { ", required" } else { "" },
                                                    if row.hidden { " · hidden" } else { "" })}
                                            </span></span>
                                            <ActionForm action=hide attr:class="inline-form">
                                                <input type="hidden" name="event_id" value=event.get_value() />
                                                <input type="hidden" name="question_id" value=q.id.clone() />
                                                <input type="hidden" name="hidden" value=if row.hidden { "no" } else { "yes" } />
                                                <button type="submit" class="button-secondary button-small" aria-label=label>
                                                    {if row.hidden { "Show" } else { "Hide" }}
                                                </button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <ActionForm action=add attr:class="stack-form question-form">
                                <input type="hidden" name="event_id" value=event.get_value() />
                                <label for="question-label">"Question"</label>
                                <input id="question-label" name="label" required maxlength="200" />
                                <label for="question-kind">"Answer"</label>
                                <select id="question-kind" name="kind">
                                    {QuestionKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{kind_label(*k)}</option> }).collect_view()}
                                </select>
                                <label for="question-options">"Options, one per line (for choices)"</label>
                                <textarea id="question-options" name="options" rows="3"></textarea>
                                <label for="question-scope">"Asked"</label>
                                <select id="question-scope" name="scope">
                                    <option value="order">"Once per order"</option>
                                    <option value="attendee">"For every ticket"</option>
                                </select>
                                <label class="checkbox"><input type="checkbox" name="required" />" Required"</label>
                                <fieldset>
                                    <legend>"Only for these ticket types (none: all)"</legend>
                                    {types.into_iter().enumerate().map(|(i, (id, name))| view! {
                                        <label class="checkbox"><input type="checkbox" name=format!("ticket_types[{i}]") value=id />" " {name}</label>
                                    }).collect_view()}
                                </fieldset>
                                <button type="submit" class="button-secondary">"Add question"</button>
                            </ActionForm>
                        }
                    })
                })}
            </Transition>
        </section>
    }
}
