//! The organizer's questions as form fields at checkout: once for the order, or in each
//! ticket's row. Field names follow `question::parse_answers`: `<prefix>[q<id>]`, and
//! `<prefix>[q<id>_<n>]` for option n of a multiple choice.
use crate::domain::question::{Question, QuestionKind};
use leptos::prelude::*;

/// One question's field(s). `prefix` is `answers` or `holders[<i>][answers]`; `context`
/// tells rows apart in labels ("ticket 2").
#[component]
pub fn QuestionField(
    question: Question,
    prefix: String,
    context: Option<String>,
    /// The answer given so far, when correcting it.
    #[prop(optional)]
    current: Vec<String>,
) -> impl IntoView {
    let first = current.first().cloned().unwrap_or_default();
    let id = format!("{}-{}", prefix.replace(['[', ']'], "-"), question.id);
    let name = format!("{prefix}[{}]", question.field_key());
    let label = match (&context, question.required) {
        (Some(c), true) => format!("{} ({c})", question.label),
        (Some(c), false) => format!("{} ({c}, optional)", question.label),
        (None, true) => question.label.clone(),
        (None, false) => format!("{} (optional)", question.label),
    };
    match question.kind {
        QuestionKind::Text => view! {
            <label for=id.clone()>{label}</label>
            <input id=id name=name maxlength="200" value=first />
        }
        .into_any(),
        QuestionKind::LongText => view! {
            <label for=id.clone()>{label}</label>
            <textarea id=id name=name rows="3" maxlength="2000">{first}</textarea>
        }
        .into_any(),
        QuestionKind::Choice => view! {
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="">"Choose…"</option>
                {question.options.iter().map(|o| view! { <option value=o.clone() selected=*o == first>{o.clone()}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        QuestionKind::Multiple => {
            let options = question
                .options
                .iter()
                .enumerate()
                .map(|(n, o)| {
                    let name = format!("{prefix}[{}]", question.option_key(n));
                    let checked = current.contains(o);
                    view! { <label class="checkbox"><input type="checkbox" name=name value="yes" checked=checked />" " {o.clone()}</label> }
                })
                .collect_view();
            view! { <fieldset class="question-options"><legend>{label}</legend>{options}</fieldset> }.into_any()
        }
        QuestionKind::Checkbox => view! {
            <label class="checkbox"><input type="checkbox" name=name value="yes" checked=!current.is_empty() />" " {label}</label>
        }
        .into_any(),
    }
}
