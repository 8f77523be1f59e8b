//! A buyer's promo or access code on the event page: typed in a small form (or brought by
//! a `?code=` link), it reloads the page with the code's prices and hidden ticket types.
//! Works without JavaScript: the form is a plain GET.
use crate::domain::sales::{price_lines, CodeOffer, CodeTerms};
use crate::domain::{Money, SelectedLine, TicketTypeView};
use crate::error::AppError;
use leptos::prelude::*;

/// The code of the page's `?code=`, trimmed; empty when none.
pub fn code_in_url() -> String {
    leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("code")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The form to type a code, or the code applied (with a link to drop it), or why the code
/// of the link does not work.
#[component]
pub fn CodeBox(offer: Option<Result<CodeOffer, AppError>>) -> impl IntoView {
    let typed = code_in_url();
    match offer {
        Some(Ok(offer)) => view! {
            <p class="notice notice-success code-applied" role="status">
                {format!("Code {} applied", offer.label)} " · " <a href="?">"Remove code"</a>
            </p>
        }
        .into_any(),
        other => {
            let problem = match other {
                Some(Err(error)) => Some(
                    error
                        .message_for("code")
                        .unwrap_or_else(|| error.to_string()),
                ),
                _ => None,
            };
            view! {
                <form method="get" class="code-form">
                    <label for="promo-code">"Promo or access code"</label>
                    <div class="inline-form">
                        <input id="promo-code" name="code" value=typed autocomplete="off" maxlength="32"
                            aria-invalid=problem.is_some().then_some("true") aria-describedby="promo-code-problem" />
                        <button type="submit" class="button-secondary button-small">"Apply"</button>
                    </div>
                    <p id="promo-code-problem" class="field-error" role=problem.is_some().then_some("alert")>{problem.clone()}</p>
                </form>
            }
            .into_any()
        }
    }
}

/// The total of the chosen quantities, with the code's discount where it applies.
pub fn total_minor(rows: &[(TicketTypeView, u32)], terms: Option<&CodeTerms>) -> i64 {
    let lines: Vec<SelectedLine> = rows
        .iter()
        .filter(|(_, quantity)| *quantity > 0)
        .map(|(t, quantity)| SelectedLine {
            ticket_type_id: t.id.clone(),
            name: t.name.clone(),
            quantity: *quantity,
            unit_price_minor: t.price.minor(),
        })
        .collect();
    price_lines(&lines, terms)
        .iter()
        .map(|l| l.unit_price_minor * i64::from(l.quantity))
        .sum()
}

/// "€25.00", or "€20.00" with the old price struck through when a code lowers it.
pub fn price_view(ticket: &TicketTypeView) -> impl IntoView {
    let shown = |price: Money| {
        if price.is_zero() {
            "Free".to_owned()
        } else {
            price.to_string()
        }
    };
    match ticket.code_price {
        Some(lower) => view! {
            <s class="muted">{shown(ticket.price)}</s> " " {shown(lower)}
        }
        .into_any(),
        None => shown(ticket.price).into_any(),
    }
}
