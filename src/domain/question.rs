//! The organizer's questions and the buyer's answers. A question is asked once per order or
//! for every ticket (optionally only for some ticket types); answers are checked here, on
//! the server, whatever the form sent.
use crate::error::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_SHORT: usize = 200;
pub const MAX_LONG: usize = 2000;
pub const MAX_OPTIONS: usize = 20;

status_enum! {
    /// How a question is answered.
    QuestionKind {
        Text => "text",
        LongText => "long_text",
        Choice => "choice",
        Multiple => "multiple",
        Checkbox => "checkbox",
    }
}

status_enum! {
    /// Whom a question is for.
    QuestionScope {
        Order => "order",
        Attendee => "attendee",
    }
}

/// A question as buyers are asked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub label: String,
    pub kind: QuestionKind,
    pub options: Vec<String>,
    pub scope: QuestionScope,
    pub required: bool,
    /// Only for these ticket types; empty for every type.
    pub ticket_types: Vec<String>,
}

impl Question {
    /// Asked for a ticket of `ticket_type`?
    pub fn applies_to(&self, ticket_type: &str) -> bool {
        self.ticket_types.is_empty() || self.ticket_types.iter().any(|t| t == ticket_type)
    }

    /// The key of this question's answer in a form's answer map. Never bare digits first:
    /// the form decoder would take `answers[5ab]` for a list index and refuse the form.
    pub fn field_key(&self) -> String {
        format!("q{}", self.id)
    }

    /// The key of option `i` of a multiple-choice question.
    pub fn option_key(&self, i: usize) -> String {
        format!("q{}_{i}", self.id)
    }
}

/// One answer as stored: multiple choice may hold several values; others hold one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    pub value: Vec<String>,
}

/// The answers for `questions` from a form's flat map ([`Question::field_key`] -> text,
/// choice or "yes"; [`Question::option_key`] -> "yes" for that option of a multiple
/// choice). Unknown keys are ignored; every problem is reported against `field(id)`.
pub fn parse_answers<'q>(
    questions: impl IntoIterator<Item = &'q Question>,
    raw: &BTreeMap<String, String>,
    field: impl Fn(&str) -> String,
) -> Result<Vec<Answer>, AppError> {
    let mut answers = Vec::new();
    let mut errors = Vec::new();
    for q in questions {
        let text = raw
            .get(&q.field_key())
            .map(|v| v.trim())
            .unwrap_or_default();
        let value: Result<Vec<String>, String> = match q.kind {
            QuestionKind::Text | QuestionKind::LongText => {
                let max = if q.kind == QuestionKind::Text {
                    MAX_SHORT
                } else {
                    MAX_LONG
                };
                if text.chars().count() > max {
                    Err(format!("Use at most {max} characters."))
                } else {
                    Ok((!text.is_empty())
                        .then(|| text.to_owned())
                        .into_iter()
                        .collect())
                }
            }
            QuestionKind::Choice if text.is_empty() => Ok(Vec::new()),
            QuestionKind::Choice => match q.options.iter().find(|o| o.as_str() == text) {
                Some(option) => Ok(vec![option.clone()]),
                None => Err("Choose one of the options.".to_owned()),
            },
            QuestionKind::Multiple => Ok(q
                .options
                .iter()
                .enumerate()
                .filter(|(i, _)| raw.get(&q.option_key(*i)).is_some_and(|v| !v.is_empty()))
                .map(|(_, o)| o.clone())
                .collect()),
            QuestionKind::Checkbox => Ok((!text.is_empty())
                .then(|| "yes".to_owned())
                .into_iter()
                .collect()),
        };
        match value {
            Ok(value) if value.is_empty() && q.required => errors.push(FieldError {
                field: field(&q.id),
                message: match q.kind {
                    QuestionKind::Checkbox => format!("Tick “{}” to go on.", q.label),
                    _ => format!("Answer “{}”.", q.label),
                },
            }),
            Ok(value) if value.is_empty() => {}
            Ok(value) => answers.push(Answer {
                question: q.id.clone(),
                value,
            }),
            Err(message) => errors.push(FieldError {
                field: field(&q.id),
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(AppError::Fields(errors))
    }
}

/// A question as its organizer manages it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub question: Question,
    pub hidden: bool,
}

/// The organizer's questions of an event and its ticket types (id, name) to pick from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionsData {
    pub rows: Vec<QuestionRow>,
    pub ticket_types: Vec<(String, String)>,
}

/// A new question as the organizer's form sends it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestionForm {
    pub label: String,
    pub kind: QuestionKind,
    pub options: Vec<String>,
    pub scope: QuestionScope,
    pub required: bool,
    pub ticket_types: Vec<String>,
}

impl NewQuestionForm {
    /// `options` one per line; `ticket_types` must be the event's (`known`).
    pub fn parse(
        label: &str,
        kind: &str,
        options: &str,
        scope: &str,
        required: bool,
        ticket_types: Vec<String>,
        known: &[String],
    ) -> Result<Self, AppError> {
        let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
        if label.is_empty() || label.chars().count() > MAX_SHORT {
            return Err(AppError::field(
                "label",
                "Write the question in 1 to 200 characters.",
            ));
        }
        let kind = QuestionKind::parse(kind)
            .ok_or_else(|| AppError::field("kind", "Choose how the question is answered."))?;
        let scope = QuestionScope::parse(scope)
            .ok_or_else(|| AppError::field("scope", "Choose whom the question is for."))?;
        let mut list: Vec<String> = Vec::new();
        for option in options.lines().map(str::trim).filter(|o| !o.is_empty()) {
            if !list.iter().any(|o| o == option) {
                list.push(option.chars().take(MAX_SHORT).collect());
            }
        }
        let choices = matches!(kind, QuestionKind::Choice | QuestionKind::Multiple);
        if choices && !(2..=MAX_OPTIONS).contains(&list.len()) {
            return Err(AppError::field(
                "options",
                "Give 2 to 20 options, one per line.",
            ));
        }
        if !choices {
            list.clear();
        }
        if ticket_types.iter().any(|t| !known.contains(t)) {
            return Err(AppError::field(
                "ticket_types",
                "Pick ticket types of this event.",
            ));
        }
        Ok(Self {
            label,
            kind,
            options: list,
            scope,
            required,
            ticket_types,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn question(id: &str, kind: QuestionKind, required: bool) -> Question {
        Question {
            id: id.into(),
            label: format!("Q {id}"),
            kind,
            options: vec!["Red".into(), "Blue".into()],
            scope: QuestionScope::Order,
            required,
            ticket_types: Vec::new(),
        }
    }

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn every_kind_is_checked_and_required_ones_are_named() {
        let qs = [
            question("a", QuestionKind::Text, true),
            question("b", QuestionKind::Choice, false),
            question("c", QuestionKind::Multiple, false),
            question("d", QuestionKind::Checkbox, true),
        ];
        let ok = parse_answers(
            &qs,
            &form(&[
                ("qa", " Vegan "),
                ("qb", "Blue"),
                ("qc_0", "yes"),
                ("qc_1", "yes"),
                ("qd", "yes"),
            ]),
            |id| id.to_owned(),
        )
        .unwrap();
        assert_eq!(ok[0].value, ["Vegan"]);
        assert_eq!(ok[1].value, ["Blue"]);
        assert_eq!(ok[2].value, ["Red", "Blue"]);
        assert_eq!(ok[3].value, ["yes"]);
        let refused = parse_answers(&qs, &form(&[("qb", "Green")]), |id| {
            format!("answers[{id}]")
        })
        .unwrap_err();
        assert_eq!(
            refused.message_for("answers[a]").as_deref(),
            Some("Answer “Q a”.")
        );
        assert_eq!(
            refused.message_for("answers[b]").as_deref(),
            Some("Choose one of the options.")
        );
        assert_eq!(
            refused.message_for("answers[d]").as_deref(),
            Some("Tick “Q d” to go on.")
        );
    }

    #[test]
    fn a_new_question_is_checked() {
        let known = vec!["t1".to_owned()];
        let q = NewQuestionForm::parse(
            " Diet ",
            "choice",
            "Vegan\n\nVegan\nNone",
            "attendee",
            true,
            vec!["t1".into()],
            &known,
        )
        .unwrap();
        assert_eq!((q.label.as_str(), q.options.len()), ("Diet", 2));
        let one = NewQuestionForm::parse("Diet", "choice", "Vegan", "order", false, vec![], &known);
        assert!(one.unwrap_err().message_for("options").is_some());
        let text =
            NewQuestionForm::parse("Why?", "text", "ignored", "order", false, vec![], &known)
                .unwrap();
        assert!(text.options.is_empty());
        let stranger = NewQuestionForm::parse(
            "Why?",
            "text",
            "",
            "order",
            false,
            vec!["t9".into()],
            &known,
        );
        assert!(stranger.unwrap_err().message_for("ticket_types").is_some());
    }

    #[test]
    fn a_question_for_some_ticket_types_only() {
        let mut q = question("5ab", QuestionKind::Text, true);
        // A database id may start with digits; the form key never does.
        assert_eq!(
            (q.field_key().as_str(), q.option_key(2).as_str()),
            ("q5ab", "q5ab_2")
        );
        assert!(q.applies_to("t1"));
        q.ticket_types = vec!["t2".into()];
        assert!(!q.applies_to("t1") && q.applies_to("t2"));
    }

    proptest! {
        /// Whatever is typed, an accepted answer is one of the options, or text within the
        /// limit; nothing panics.
        #[test]
        fn accepted_answers_stay_within_the_rules(text in ".{0,300}", pick in "[A-Za-z]{0,6}") {
            let qs = [question("t", QuestionKind::Text, false), question("c", QuestionKind::Choice, false)];
            if let Ok(answers) = parse_answers(&qs, &form(&[("qt", &text), ("qc", &pick)]), |id| id.to_owned()) {
                for a in answers {
                    match a.question.as_str() {
                        "t" => prop_assert!(a.value[0].chars().count() <= MAX_SHORT),
                        _ => prop_assert!(qs[1].options.contains(&a.value[0])),
                    }
                }
            }
        }
    }
}
