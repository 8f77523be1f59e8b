//! Issue 14, point 6: email verification, and Google sign-in cannot pre-hijack an account.
use crate::common::resend::{self, newest_token, Double};
use crate::common::{app_error, query, register, spawn_with, test_settings, unique_email};
use tickex::api::auth::{SendVerificationEmail, VerifyEmail};
use tickex::error::AppError;
use tickex::server::services::accounts;

const SUBJECT: &str = "Confirm your email for TickEx";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_link_verifies_the_address_once() {
    let double = Double::default();
    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let email = unique_email("verify");
    let mut visitor = register(&app, &email, false).await;
    let me = visitor.me().await.unwrap();
    assert!(!me.email_verified, "a new account starts unverified");
    let account = visitor.get("/account").await.text().await.unwrap();
    assert!(
        account.contains("Please confirm your email address"),
        "the account page reminds"
    );

    let token = newest_token(&double, SUBJECT);
    let stored: Vec<String> =
        query(&app, "SELECT VALUE token_hash FROM email_verification", &[]).await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token, "only a hash is stored");

    // Opening the link shows a button; it does not confirm by itself.
    let page = app
        .visitor()
        .get(&format!("/verify-email?token={token}"))
        .await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Confirm my email"));
    assert!(!visitor.me().await.unwrap().email_verified);

    // Confirmed from any browser (the link is the proof), once.
    let mut phone = app.visitor();
    let confirmed = phone.call::<VerifyEmail>(&[("token", &token)]).await;
    assert!(confirmed.status().is_success(), "{}", confirmed.status());
    assert!(visitor.me().await.unwrap().email_verified);
    let again = phone.call::<VerifyEmail>(&[("token", &token)]).await;
    assert!(matches!(app_error(again).await, AppError::Validation(_)));
    let logged: Vec<String> = query(&app, "SELECT VALUE action FROM account_log", &[]).await;
    assert_eq!(logged, vec!["email_verified".to_owned()]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_link_replaces_the_old_one_and_links_expire() {
    let double = Double::default();
    let app = spawn_with(resend::settings(double.clone(), test_settings()).await).await;
    let mut visitor = register(&app, &unique_email("again"), false).await;
    let first = newest_token(&double, SUBJECT);
    let resent = visitor.call::<SendVerificationEmail>(&[]).await;
    assert!(resent.status().is_success(), "{}", resent.status());
    let second = newest_token(&double, SUBJECT);
    assert_ne!(first, second);

    let mut other = app.visitor();
    let old = other.call::<VerifyEmail>(&[("token", &first)]).await;
    assert!(
        matches!(app_error(old).await, AppError::Validation(_)),
        "replaced"
    );
    let late = accounts::verify_email(
        &app.server.state.db,
        &second,
        chrono::Utc::now() + chrono::Duration::hours(49),
    )
    .await;
    assert!(matches!(late, Err(AppError::Validation(_))), "{late:?}");
    assert!(!visitor.me().await.unwrap().email_verified);

    // Anonymous callers cannot ask for links.
    let anonymous = app.visitor().call::<SendVerificationEmail>(&[]).await;
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}

/// Outside demo mode without a mail provider nothing can be sent: the user is told so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_the_resend_button_says_it_cannot_send() {
    let app = spawn_with(test_settings()).await;
    let mut visitor = register(&app, &unique_email("nomail"), false).await;
    let response = visitor.call::<SendVerificationEmail>(&[]).await;
    match app_error(response).await {
        AppError::Validation(message) => assert!(message.contains("cannot send email")),
        other => panic!("{other:?}"),
    }
    let stored: Vec<String> = query(
        &app,
        "SELECT VALUE key FROM outbox WHERE kind = 'text'",
        &[],
    )
    .await;
    assert!(stored.is_empty(), "no link stored readable: {stored:?}");
    app.stop().await;
}
