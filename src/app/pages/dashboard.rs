use super::guard::OrganizerOnly;
use super::ErrorPanel;
use crate::api::dashboard::list_my_events;
use crate::domain::OrganizerEventRow;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <OrganizerOnly>
            <DashboardContent />
        </OrganizerOnly>
    }
}

#[component]
fn DashboardContent() -> impl IntoView {
    let events = Resource::new(|| (), |_| list_my_events());
    view! {
        <header class="page-header page-header-actions">
            <h1>"Dashboard"</h1>
            <a class="button" href="/dashboard/events/new">"Create event"</a>
        </header>
        <section class="panel" aria-labelledby="my-events">
            <h2 id="my-events">"Your events"</h2>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="muted">"You have no events yet. "
                                <a href="/dashboard/events/new">"Create your first event"</a>"."</p>
                        }.into_any(),
                        Ok(rows) => view! { <EventsTable rows /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn EventsTable(rows: Vec<OrganizerEventRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Date"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">"Sold"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let href = format!("/events/{}", row.slug);
                            let edit = format!("/dashboard/events/{}", row.id);
                            view! {
                                <tr>
                                    <td><a href=href>{row.title.clone()}</a></td>
                                    <td>{row.when}</td>
                                    <td>
                                        <span class=format!("badge badge-{}", row.status.as_str())>
                                            {row.status.as_str()}
                                        </span>
                                    </td>
                                    <td class="num">{format!("{} / {}", row.sold, row.capacity)}</td>
                                    <td>
                                        <a href=edit aria-label=format!("Edit {}", row.title)>"Edit"</a>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
