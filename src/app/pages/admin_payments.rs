//! The payments inbox for admins: Stripe events that failed or never finished processing,
//! each with "Process again".
use super::guard::AdminOnly;
use super::ErrorPanel;
use crate::api::admin::{get_payment_events, ProcessPaymentEvent};
use crate::domain::{PaymentEventRow, ReplayOutcome};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPaymentsPage() -> impl IntoView {
    view! {
        <Title text="Payments inbox" />
        <AdminOnly>
            <PaymentsInbox />
        </AdminOnly>
    }
}

#[component]
fn PaymentsInbox() -> impl IntoView {
    let process = ServerAction::<ProcessPaymentEvent>::new();
    let events = Resource::new(move || process.version().get(), |_| get_payment_events());
    view! {
        <header class="page-header">
            <h1>"Payments inbox"</h1>
            <p class="muted">"Stripe events that could not be processed, or whose processing never finished. Stripe keeps retrying failed deliveries for three days; “Process again” runs an event now."</p>
        </header>
        {move || process.value().get().map(|outcome| match outcome {
            Ok(ReplayOutcome::Processed) => view! { <p class="notice" role="status">"The event was processed."</p> }.into_any(),
            Ok(ReplayOutcome::AlreadyProcessed) => view! { <p class="notice" role="status">"That event had been processed already; nothing was done again."</p> }.into_any(),
            Err(error) => view! { <p class="notice notice-danger" role="alert">{error.to_string()}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading events…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="muted">"Every payment event has been processed."</p> }.into_any(),
                    Ok(rows) => view! { <EventsTable rows process /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EventsTable(
    rows: Vec<PaymentEventRow>,
    process: ServerAction<ProcessPaymentEvent>,
) -> impl IntoView {
    view! {
        <div class="table-wrap panel">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Received"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Last error"</th>
                        <th scope="col"><span class="visually-hidden">"Action"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let label = format!("Process {} again", row.id);
                        view! {
                            <tr>
                                <td><code>{row.id.clone()}</code></td>
                                <td>{row.kind}</td>
                                <td>{row.received}</td>
                                <td><span class=format!("badge badge-{}", row.status.as_str())>{row.status.as_str()}</span></td>
                                <td>{row.attempts}</td>
                                <td>{row.last_error.unwrap_or_default()}</td>
                                <td>
                                    <ActionForm action=process attr:class="inline-form">
                                        <input type="hidden" name="event_id" value=row.id />
                                        <button type="submit" class="button-secondary" aria-label=label>"Process again"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
