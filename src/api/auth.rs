use crate::domain::UserView;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn get_current_user() -> Result<Option<UserView>, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::auth::guard;
        Ok(guard::current_user(&state).await?.map(|u| UserView {
            name: u.name,
            email: u.email,
            role: u.role,
            email_verified: u.email_verified,
        }))
    })
    .await
}

/// Whether this server runs in demo mode (every page then says so).
#[server]
pub async fn is_demo_mode() -> Result<bool, AppError> {
    crate::api::serve(|state| async move { Ok(state.settings.demo) }).await
}

/// Whether "Continue with Google" is offered (a client id and secret are configured).
#[server]
pub async fn google_sign_in_enabled() -> Result<bool, AppError> {
    crate::api::serve(|state| async move { Ok(state.settings.google.is_some()) }).await
}

#[server]
pub async fn register_user(
    name: String,
    email: String,
    password: String,
    organizer: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::domain::{parse_display_name, Email, NewPassword};
        use crate::error::FieldError;
        use crate::server::auth::{guard, session};
        use crate::server::services::accounts::{self, Registration};

        let address = guard::client_address(&state);
        guard::throttle(&state, &[(&state.throttles.accounts_by_address, &address)])?;
        let mut errors = Vec::new();
        let mut check = |field: &str, result: Result<(), String>| {
            if let Err(message) = result {
                errors.push(FieldError {
                    field: field.to_owned(),
                    message,
                });
            }
        };
        let name = parse_display_name(&name);
        let email = Email::parse(&email);
        let password = NewPassword::parse(password);
        check("name", name.as_ref().map(|_| ()).map_err(Clone::clone));
        check("email", email.as_ref().map(|_| ()).map_err(Clone::clone));
        check(
            "password",
            password.as_ref().map(|_| ()).map_err(|e| e.clone()),
        );
        let (Ok(name), Ok(email), Ok(password)) = (name, email, password) else {
            return Err(AppError::Fields(errors));
        };
        let user_id = accounts::register(
            &state,
            Registration {
                name,
                email,
                password,
                organizer: organizer.is_some(),
            },
        )
        .await?;
        let token = session::start(&state.db, &state.settings, &user_id)
            .await
            .map_err(AppError::internal)?;
        guard::set_session_cookie(&state, Some(&token));
        leptos_axum::redirect(&crate::domain::safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

#[server]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::auth::{guard, session};
        use crate::server::services::accounts;

        let address = guard::client_address(&state);
        let limits = &state.throttles;
        let email_key = email.trim().to_lowercase();
        guard::throttle(
            &state,
            &[
                (&limits.sign_in_by_address, &address),
                (&limits.sign_in_by_email, &email_key),
            ],
        )?;
        let user_id = accounts::authenticate(&state.db, &email, password).await?;
        // A fresh session id at every sign-in (no fixation); the old one, if any, ends.
        if let Some(previous) = guard::current_user(&state).await? {
            let _ = session::end(&state.db, &previous.session_key).await;
        }
        let token = session::start(&state.db, &state.settings, &user_id)
            .await
            .map_err(AppError::internal)?;
        guard::set_session_cookie(&state, Some(&token));
        tracing::info!(user = %user_id, "signed in");
        leptos_axum::redirect(&crate::domain::safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

#[server]
pub async fn log_out() -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::auth::{guard, session};

        if let Some(user) = guard::current_user(&state).await? {
            session::end(&state.db, &user.session_key)
                .await
                .map_err(AppError::internal)?;
            tracing::info!(user = %user.id, "signed out");
        }
        guard::set_session_cookie(&state, None);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

#[server]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::server::auth::{guard, session};
        session::end_all(&state.db, &user.id)
            .await
            .map_err(AppError::internal)?;
        tracing::info!(user = %user.id, "signed out everywhere");
        guard::set_session_cookie(&state, None);
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::domain::NewPassword;
        use crate::server::services::accounts;

        let new =
            NewPassword::parse(new_password).map_err(|m| AppError::field("new_password", m))?;
        accounts::change_password(
            &state.db,
            &user.id,
            &user.email,
            current_password,
            new,
            &user.session_key,
        )
        .await
    })
    .await
}

#[server]
pub async fn become_organizer() -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::domain::Role;
        use crate::server::services::accounts;

        if user.role == Role::Customer {
            accounts::set_role(&state.db, &user.id, Role::Organizer).await?;
        }
        leptos_axum::redirect("/dashboard");
        Ok(())
    })
    .await
}

/// "Forgot password": always the same answer, whether or not the email has an account.
#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::domain::Email;
        use crate::server::services::accounts;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        let address = crate::server::auth::guard::client_address(&state);
        crate::server::auth::guard::throttle(
            &state,
            &[(&state.throttles.accounts_by_address, &address)],
        )?;
        accounts::request_password_reset(&state, &email, &address, chrono::Utc::now()).await
    })
    .await
}

/// Sets a new password from a reset link; the user then signs in with it.
#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::domain::NewPassword;
        use crate::server::services::accounts;
        let password = NewPassword::parse(password).map_err(|m| AppError::field("password", m))?;
        accounts::reset_password(&state.db, &token, password, chrono::Utc::now()).await?;
        leptos_axum::redirect("/login?reset=1");
        Ok(())
    })
    .await
}

/// Confirms the address behind the link in the confirmation email (a POST from the page the
/// link opens: following a link changes nothing).
#[server]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::accounts;
        accounts::verify_email(&state.db, &token, chrono::Utc::now()).await?;
        leptos_axum::redirect("/verify-email?done=1");
        Ok(())
    })
    .await
}

/// Sends the signed-in user a new link to confirm their address.
#[server]
pub async fn send_verification_email() -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        use crate::domain::Email;
        use crate::server::auth::guard;
        use crate::server::services::accounts;
        let address = guard::client_address(&state);
        guard::throttle(&state, &[(&state.throttles.accounts_by_address, &address)])?;
        if user.email_verified {
            return Ok(());
        }
        let email = Email::parse(&user.email).map_err(AppError::internal)?;
        let sent =
            accounts::send_verification(&state, &user.id, &email, &user.name, chrono::Utc::now())
                .await?;
        if sent {
            Ok(())
        } else {
            Err(AppError::Validation(
                "We cannot send email right now. Please try again later.".into(),
            ))
        }
    })
    .await
}

/// Deletes the signed-in account once `confirmation` is its email: its personal data is
/// erased, its orders keep what accounting needs. Signs out (every session ends).
#[server]
pub async fn delete_my_account(confirmation: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::User, |state, user| async move {
        crate::server::services::personal_data::delete_account(&state, &user, &confirmation)
            .await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}
