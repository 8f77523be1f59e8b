//! The organizer's doors of one event: open the scanner, add staff by email, make a device
//! link for a phone at the door (shown once), withdraw either.
use super::ErrorPanel;
use crate::api::checkin::{
    get_checkin_counts, list_door_staff, list_duplicate_scans, AddDoorStaff, CreateDoorLink,
    RevokeDoorStaff, RotateDoorKey,
};
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn DoorsPanel(event_id: String) -> impl IntoView {
    let add = ServerAction::<AddDoorStaff>::new();
    let link = ServerAction::<CreateDoorLink>::new();
    let revoke = ServerAction::<RevokeDoorStaff>::new();
    let rotate = ServerAction::<RotateDoorKey>::new();
    let staff = {
        let event_id = event_id.clone();
        Resource::new(
            move || {
                (
                    add.version().get(),
                    link.version().get(),
                    revoke.version().get(),
                )
            },
            move |_| list_door_staff(event_id.clone()),
        )
    };
    let problem = move || {
        add.value()
            .get()
            .and_then(Result::err)
            .or_else(|| link.value().get().and_then(Result::err))
            .or_else(|| revoke.value().get().and_then(Result::err))
            .or_else(|| rotate.value().get().and_then(Result::err))
            .map(|e| view! { <p class="notice notice-danger" role="alert">{e.to_string()}</p> })
    };
    let new_link = move || {
        link.value().get().and_then(Result::ok).map(|url| view! {
            <div class="notice" role="status">
                <p>"Open this link on the door's phone. It is shown only now; anyone with it can check in at this event until it expires."</p>
                <label for="door-link">"Door link"</label>
                <input id="door-link" readonly value=url />
            </div>
        })
    };
    let rotated = move || {
        rotate.value().get().and_then(Result::ok).map(|keys| view! {
            <p class="notice" role="status">{format!(
                "The event has {keys} signing keys now: tickets shown from now on use the newest, tickets sent before still admit. Doors take the new key when they next refresh (within five minutes)."
            )}</p>
        })
    };
    // Live while the page is open: the counts follow every door every five seconds.
    let tick = super::use_ticker(std::time::Duration::from_secs(5));
    let counts = {
        let event_id = event_id.clone();
        Resource::new(
            move || tick.get(),
            move |_| get_checkin_counts(event_id.clone()),
        )
    };
    let duplicates = {
        let event_id = event_id.clone();
        Resource::new(
            move || tick.get(),
            move |_| list_duplicate_scans(event_id.clone()),
        )
    };
    let (add_event, link_event, rotate_event) =
        (event_id.clone(), event_id.clone(), event_id.clone());
    let revoke_event = StoredValue::new(event_id.clone());
    view! {
        <section class="panel" aria-labelledby="doors-heading">
            <h2 id="doors-heading">"Door check-in"</h2>
            <p><a class="button button-secondary" href=format!("/checkin/{event_id}")>"Open the scanner"</a></p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    counts.await.ok().map(|counts| view! {
                        <ul class="metric-grid" aria-label="Checked in">
                            {counts.into_iter().map(|c| view! {
                                <li class="panel metric" data-metric=format!("Checked in {}", c.ticket_type)>
                                    <span class="metric-label">{format!("{} checked in", c.ticket_type)}</span>
                                    <strong class="metric-value">{format!("{} / {}", c.checked_in, c.sold)}</strong>
                                </li>
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    duplicates.await.ok().filter(|rows| !rows.is_empty()).map(|rows| view! {
                        <h3 id="twice-heading">"Scanned again"</h3>
                        <ul class="holder-list" aria-labelledby="twice-heading">
                            {rows.into_iter().map(|d| view! {
                                <li>
                                    <span>{d.holder} " · " {d.ticket_type}</span>
                                    <span class="muted">{format!("tried {}, admitted {}", d.scanned, d.admitted)}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Transition>
            {problem}
            {new_link}
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading doors…"</p> }>
                {move || Suspend::new(async move {
                    match staff.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="muted">"Only you can check in so far."</p> }.into_any(),
                        Ok(rows) => view! {
                            <ul class="holder-list" aria-label="Doors">
                                {rows.into_iter().map(|row| {
                                    let what = match (&row.email, &row.expires) {
                                        (Some(email), _) => format!("account {email}"),
                                        (None, Some(until)) => format!("device link until {until}"),
                                        (None, None) => "device link".to_owned(),
                                    };
                                    let label = format!("Withdraw {}", row.label);
                                    view! {
                                        <li>
                                            <span>{row.label.clone()} " · " <span class="muted">{what}</span>
                                                {(!row.active).then_some(" · withdrawn or expired")}</span>
                                            {row.active.then(|| view! {
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="event_id" value=revoke_event.get_value() />
                                                    <input type="hidden" name="staff_id" value=row.id.clone() />
                                                    <button type="submit" class="button-secondary" aria-label=label>"Withdraw"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=add attr:class="checkin-form">
                <input type="hidden" name="event_id" value=add_event />
                <label for="staff-email">"Add door staff by email"</label>
                <input id="staff-email" name="email" type="email" autocomplete="off" required />
                <button type="submit" class="button-secondary">"Add"</button>
            </ActionForm>
            <ActionForm action=link attr:class="checkin-form">
                <input type="hidden" name="event_id" value=link_event />
                <label for="door-label">"Door name"</label>
                <input id="door-label" name="label" placeholder="Door 2" required />
                <label for="door-hours">"Valid for (hours)"</label>
                <input id="door-hours" name="hours" type="number" min="1" max="336" value="12" required />
                <button type="submit" class="button-secondary">"Make a device link"</button>
            </ActionForm>
            {rotated}
            <ActionForm action=rotate attr:class="checkin-form">
                <input type="hidden" name="event_id" value=rotate_event />
                <p class="muted small">"A door's phone lost, or a ticket's code leaked? Rotating the signing key makes new tickets under a new key."</p>
                <button type="submit" class="button-secondary">"Rotate the signing key"</button>
            </ActionForm>
        </section>
    }
}
