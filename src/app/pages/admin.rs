use super::guard::AdminOnly;
use super::ErrorPanel;
use crate::api::admin::{get_outbox_backlog, search_users, SetUserRole};
use crate::domain::{AdminUserRow, Role};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    view! {
        <Title text="Users" />
        <AdminOnly>
            <UserAdmin />
        </AdminOnly>
    }
}

#[component]
fn UserAdmin() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let set_role = ServerAction::<SetUserRole>::new();
    let users = Resource::new(
        move || (q(), set_role.version().get()),
        |(q, _)| search_users(q),
    );
    view! {
        <header class="page-header">
            <h1>"Users"</h1>
            <p><a href="/admin/payments">"Payments inbox"</a></p>
        </header>
        <OutboxPanel />
        <form method="get" action="/admin/users" class="search-form" role="search">
            <label for="user-search">"Search by name or email"</label>
            <input id="user-search" type="search" name="q" value=q />
            <button type="submit">"Search"</button>
        </form>
        {move || set_role.value().get().and_then(|r| r.err()).map(|e| view! {
            <p class="notice notice-danger" role="alert">{e.to_string()}</p>
        })}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="muted">"No users match."</p> }.into_any(),
                    Ok(rows) => view! { <UsersTable rows set_role /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UsersTable(rows: Vec<AdminUserRow>, set_role: ServerAction<SetUserRole>) -> impl IntoView {
    view! {
        <div class="table-wrap panel">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Joined"</th>
                        <th scope="col">"Role"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|user| {
                        let label = format!("Role of {}", user.email);
                        view! {
                            <tr>
                                <td>{user.name.clone()}</td>
                                <td>{user.email.clone()}</td>
                                <td>{user.joined.clone()}</td>
                                <td>
                                    <ActionForm action=set_role attr:class="inline-form">
                                        <input type="hidden" name="user_id" value=user.id.clone() />
                                        <select name="role" aria-label=label>
                                            {[Role::Customer, Role::Organizer, Role::Admin].into_iter().map(|role| view! {
                                                <option value=role.as_str() selected=role == user.role>{role.as_str()}</option>
                                            }).collect_view()}
                                        </select>
                                        <button type="submit" class="button-secondary">"Save"</button>
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

/// What waits in the email outbox; loud when nothing can ever send it.
#[component]
fn OutboxPanel() -> impl IntoView {
    let backlog = Resource::new(|| (), |_| get_outbox_backlog());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                backlog.await.ok().map(|b| {
                    let emails = |n: u64| if n == 1 { "1 email".to_owned() } else { format!("{n} emails") };
                    let waiting = match (&b.oldest_waiting, b.waiting) {
                        (_, 0) => "No email is waiting to be sent.".to_owned(),
                        (Some(since), n) => format!("{} waiting to be sent, the oldest since {since}.", emails(n)),
                        (None, n) => format!("{} waiting to be sent.", emails(n)),
                    };
                    let class = if b.provider_configured || b.waiting == 0 { "notice" } else { "notice notice-danger" };
                    view! {
                        <section class=class aria-label="Email outbox">
                            <p>{waiting}</p>
                            {(b.failed > 0).then(|| view! {
                                <p>{format!("{} could not be delivered (see each order's email status).", emails(b.failed))}</p>
                            })}
                            {(!b.provider_configured).then(|| view! {
                                <p>"No email provider is set up (TICKEX_RESEND_API_KEY): emails wait here until one is."</p>
                            })}
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}
