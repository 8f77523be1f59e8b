use crate::api::auth::{
    google_sign_in_enabled, BecomeOrganizer, ChangePassword, DeleteMyAccount, LogIn, LogOut,
    RegisterUser, RequestPasswordReset, ResetPassword, SendVerificationEmail, SignOutEverywhere,
    VerifyEmail,
};
use crate::app::session::use_session;
use crate::domain::{urlencode, NewPassword, Role};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn next_from_query() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_else(|| "/".to_owned()))
}

/// A labelled input with its error message right below it.
#[component]
fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let described = format!("{id}-message");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described.clone()
            />
            <p id=described class="field-message">
                {move || error.get().unwrap_or_else(|| hint.to_owned())}
            </p>
        </div>
    }
}

/// An action's last result, as `ServerAction::value()` hands it out.
trait ActionResult: Get<Value = Option<Result<(), AppError>>> + Copy + Send + Sync + 'static {}
impl<S> ActionResult for S where
    S: Get<Value = Option<Result<(), AppError>>> + Copy + Send + Sync + 'static
{
}

fn field_error(value: impl ActionResult, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        value
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.message_for(field))
    })
}

/// A form-level message for errors that do not belong to one field.
fn form_error(value: impl ActionResult) -> impl IntoView {
    move || {
        value.get().and_then(|r| r.err()).and_then(|e| match e {
            AppError::Fields(_) | AppError::EmailTaken => None,
            other => {
                Some(view! { <p class="notice notice-danger" role="alert">{other.to_string()}</p> })
            }
        })
    }
}

/// Reloads who is signed in once a sign-in, sign-up or sign-out succeeded.
fn refresh_session_on_success(value: impl ActionResult) {
    let session = use_session();
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_))) {
            session.refresh();
        }
    });
}

/// "Continue with Google", shown only when Google sign-in is configured. A plain link
/// (`rel="external"`): the flow leaves the app.
#[component]
fn GoogleButton(next: Signal<String>) -> impl IntoView {
    let enabled = Resource::new(|| (), |_| google_sign_in_enabled());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                matches!(enabled.await, Ok(true))
                    .then(|| {
                        view! {
                            <a
                                class="button button-secondary button-block"
                                rel="external"
                                href=move || format!("/auth/google/start?next={}", urlencode(&next.get()))
                            >
                                "Continue with Google"
                            </a>
                            <p class="divider"><span>"or"</span></p>
                        }
                    })
            })}
        </Suspense>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    refresh_session_on_success(action.value());
    let next = next_from_query();
    let query = use_query_map();
    view! {
        <Title text="Sign in" />
        <section class="panel auth-panel">
            <h1>"Sign in"</h1>
            {move || (query.read().get("reset").as_deref() == Some("1")).then(|| view! {
                <p class="notice notice-success" role="status">
                    "Your password was changed. Sign in with the new one."
                </p>
            })}
            {move || (query.read().get("error").as_deref() == Some("google")).then(|| view! {
                <p class="notice notice-danger" role="alert">
                    "Signing in with Google did not complete. Please try again."
                </p>
            })}
            <GoogleButton next />
            <ActionForm action>
                {form_error(action.value())}
                <input type="hidden" name="next" value=next />
                <Field label="Email" name="email" kind="email" autocomplete="email" error=Signal::derive(|| None::<String>) />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error=Signal::derive(|| None::<String>) />
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p class="muted"><a href="/forgot-password">"Forgot your password?"</a></p>
            <p class="muted">
                "New to TickEx? "
                <a href=move || format!("/register?next={}", urlencode(&next.get()))>"Create an account"</a>
            </p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<RegisterUser>::new();
    let value = action.value();
    refresh_session_on_success(value);
    let next = next_from_query();
    let email_taken = move || matches!(value.get(), Some(Err(AppError::EmailTaken)));
    view! {
        <Title text="Create an account" />
        <section class="panel auth-panel">
            <h1>"Create your account"</h1>
            <GoogleButton next />
            <ActionForm action>
                {form_error(value)}
                <input type="hidden" name="next" value=next />
                <Field label="Name" name="name" autocomplete="name" error=field_error(value, "name") />
                <Field label="Email" name="email" kind="email" autocomplete="email" error=field_error(value, "email") />
                <Show when=email_taken>
                    <p class="notice">
                        <a href=move || format!("/login?next={}", urlencode(&next.get()))>"Sign in instead"</a>
                    </p>
                </Show>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint=NewPassword::HINT
                    error=field_error(value, "password")
                />
                <label class="checkbox">
                    <input type="checkbox" name="organizer" value="on" />
                    "I want to sell tickets for my events"
                </label>
                <button type="submit" disabled=move || action.pending().get()>"Create account"</button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </section>
    }
}

#[component]
pub fn LogoutButton() -> impl IntoView {
    let action = ServerAction::<LogOut>::new();
    refresh_session_on_success(action.value());
    view! {
        <ActionForm action attr:class="inline-form">
            <button type="submit" class="button-link">"Sign out"</button>
        </ActionForm>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    let change = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let organizer = ServerAction::<BecomeOrganizer>::new();
    let delete = ServerAction::<DeleteMyAccount>::new();
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <Title text="Your account" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let Some(user) = session.user().await else {
                    return view! { <super::SignInRequired /> }.into_any();
                };
                let is_customer = user.role == Role::Customer;
                view! {
                    <section class="panel">
                        <h1>"Your account"</h1>
                        <dl class="facts">
                            <dt>"Name"</dt><dd>{user.name.clone()}</dd>
                            <dt>"Email"</dt><dd>{user.email.clone()}</dd>
                            <dt>"Role"</dt><dd>{user.role.as_str()}</dd>
                        </dl>
                        {(!user.email_verified).then(|| view! { <ConfirmEmailReminder /> })}
                        {is_customer.then(|| view! {
                            <ActionForm action=organizer>
                                <p>"Want to sell tickets for your own events?"</p>
                                <button type="submit">"Become an organizer"</button>
                            </ActionForm>
                        })}
                    </section>
                    <section class="panel">
                        <h2>"Change password"</h2>
                        <ActionForm action=change>
                            {form_error(change.value())}
                            <Show when=changed>
                                <p class="notice notice-success" role="status">"Password changed. Your other sessions were signed out."</p>
                            </Show>
                            <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=field_error(change.value(), "current_password") />
                            <Field label="New password" name="new_password" kind="password" autocomplete="new-password" hint=NewPassword::HINT error=field_error(change.value(), "new_password") />
                            <button type="submit">"Change password"</button>
                        </ActionForm>
                    </section>
                    <section class="panel">
                        <h2>"Sessions"</h2>
                        <ActionForm action=everywhere>
                            <p class="muted">"Signed in on a shared computer? End every session, this one included."</p>
                            <button type="submit" class="button-secondary">"Sign out everywhere"</button>
                        </ActionForm>
                    </section>
                    <section class="panel" aria-labelledby="data-heading">
                        <h2 id="data-heading">"Your data"</h2>
                        <p><a href="/account/data.json" rel="external" download>"Download everything TickEx holds about you (JSON)"</a></p>
                        <ActionForm action=delete>
                            {form_error(delete.value())}
                            <p class="muted">"Deleting your account erases your name, email and answers. Your orders keep their amounts and references for the organizers' accounts; tickets you hold stay valid without your name."</p>
                            <Field label="Type your email to confirm" name="confirmation" kind="email" autocomplete="off" error=field_error(delete.value(), "confirmation") />
                            <button type="submit" class="button-danger">"Delete my account"</button>
                        </ActionForm>
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    view! {
        <Title text="Forgot your password" />
        <section class="panel auth-panel">
            <h1>"Forgot your password?"</h1>
            {move || matches!(action.value().get(), Some(Ok(()))).then(|| view! {
                <p class="notice notice-success" role="status">
                    "If an account exists for that email, we sent it a link to choose a new password. The link works for an hour."
                </p>
            })}
            <ActionForm action>
                {form_error(action.value())}
                <Field label="Email" name="email" kind="email" autocomplete="email" error=field_error(action.value(), "email") />
                <button type="submit" disabled=move || action.pending().get()>"Send me a link"</button>
            </ActionForm>
            <p class="muted"><a href="/login">"Back to sign in"</a></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Choose a new password" />
        <section class="panel auth-panel">
            <h1>"Choose a new password"</h1>
            <ActionForm action>
                {form_error(action.value())}
                <input type="hidden" name="token" value=token />
                <Field label="New password" name="password" kind="password" autocomplete="new-password"
                    hint=NewPassword::HINT error=field_error(action.value(), "password") />
                <button type="submit" disabled=move || action.pending().get()>"Save new password"</button>
            </ActionForm>
        </section>
    }
}

/// For an account whose address nobody has confirmed yet: it can buy, but Google sign-in
/// with the address would take it over, so the owner is asked to confirm.
#[component]
fn ConfirmEmailReminder() -> impl IntoView {
    let send = ServerAction::<SendVerificationEmail>::new();
    view! {
        <ActionForm action=send attr:class="notice" attr:aria-label="Reminder">
            <p>"Please confirm your email address with the link we sent you."</p>
            {form_error(send.value())}
            <Show when=move || matches!(send.value().get(), Some(Ok(())))>
                <p role="status">"A new link is on its way. Earlier links no longer work."</p>
            </Show>
            <button type="submit" class="button-secondary" disabled=move || send.pending().get()>
                "Send the link again"
            </button>
        </ActionForm>
    }
}

/// Where the confirmation link leads. Opening it changes nothing; the button does.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let done = move || query.read().get("done").is_some();
    view! {
        <Title text="Confirm your email" />
        <section class="panel auth-panel">
            <h1>"Confirm your email"</h1>
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action>
                        {form_error(action.value())}
                        <input type="hidden" name="token" value=token />
                        <button type="submit" disabled=move || action.pending().get()>"Confirm my email"</button>
                    </ActionForm>
                }
            >
                <p class="notice notice-success" role="status">"Thank you, your email address is confirmed."</p>
            </Show>
        </section>
    }
}
