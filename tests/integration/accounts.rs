use crate::common::{app_error, register, spawn_app, spawn_with, test_settings, unique_email};
use tickex::api::admin::{SearchUsers, SetUserRole};
use tickex::api::auth::{
    BecomeOrganizer, ChangePassword, LogIn, LogOut, RegisterUser, SignOutEverywhere,
};
use tickex::api::dashboard::GetDashboard;
use tickex::domain::{Email, NewPassword, Role};
use tickex::error::AppError;
use tickex::server::services::accounts;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_signs_in_with_a_safe_cookie_and_hashes_the_password() {
    let app = spawn_app().await;
    let email = unique_email("Ada");
    let mut visitor = app.visitor();
    let response = visitor
        .call::<RegisterUser>(&[
            ("name", "  Ada   Lovelace "),
            ("email", &format!("  {}  ", email.to_uppercase())),
            ("password", "correct horse battery"),
        ])
        .await;
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "http base URL");

    let user = visitor.me().await.expect("signed in");
    assert_eq!(user.name, "Ada Lovelace");
    assert_eq!(user.email, email.to_lowercase(), "stored normalised");
    assert_eq!(user.role, Role::Customer);

    let mut rows = app.sql("SELECT VALUE password_hash FROM user").await;
    let hashes: Vec<String> = rows.take(0).unwrap();
    assert!(hashes[0].starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!hashes[0].contains("correct horse"));

    // The session row is keyed by a hash of the token, never the token itself.
    let token = visitor.cookie.clone().unwrap();
    let token = token.split('=').nth(1).unwrap().to_owned();
    let mut rows = app.sql("SELECT VALUE record::id(id) FROM session").await;
    let keys: Vec<String> = rows.take(0).unwrap();
    assert_eq!(keys.len(), 1);
    assert_ne!(keys[0], token);
    assert!(token.len() >= 32, "at least 128 bits");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_errors_name_their_field_and_keep_nothing() {
    let app = spawn_app().await;
    let mut visitor = app.visitor();
    let error = app_error(
        visitor
            .call::<RegisterUser>(&[
                ("name", ""),
                ("email", "not-an-email"),
                ("password", "short"),
            ])
            .await,
    )
    .await;
    for field in ["name", "email", "password"] {
        assert!(error.message_for(field).is_some(), "{field}: {error:?}");
    }
    assert!(visitor.cookie.is_none());

    let email = unique_email("dup");
    register(&app, &email, false).await;
    let error = app_error(
        app.visitor()
            .call::<RegisterUser>(&[
                ("name", "Someone Else"),
                ("email", &email.to_uppercase()),
                ("password", "another password"),
            ])
            .await,
    )
    .await;
    assert_eq!(error, AppError::EmailTaken);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_role_is_never_self_assignable() {
    let app = spawn_app().await;
    let mut visitor = app.visitor();
    visitor
        .call::<RegisterUser>(&[
            ("name", "Mallory"),
            ("email", &unique_email("mallory")),
            ("password", "correct horse battery"),
            ("role", "admin"),
        ])
        .await;
    let user = visitor.me().await.unwrap();
    assert_eq!(user.role, Role::Customer);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rotates_the_session_and_logout_ends_it_on_the_server() {
    let app = spawn_app().await;
    let email = unique_email("login");
    let first = register(&app, &email, false).await;
    let first_cookie = first.cookie.clone().unwrap();

    let mut second = app.visitor();
    let error = app_error(
        second
            .call::<LogIn>(&[("email", &email), ("password", "wrong password")])
            .await,
    )
    .await;
    assert!(matches!(error, AppError::Validation(_)));
    let unknown = app_error(
        second
            .call::<LogIn>(&[
                ("email", "nobody@example.com"),
                ("password", "wrong password"),
            ])
            .await,
    )
    .await;
    assert_eq!(
        error, unknown,
        "same answer whether or not the email exists"
    );

    second.cookie = Some(first_cookie.clone());
    let response = second
        .call::<LogIn>(&[
            ("email", &email),
            ("password", "correct horse battery"),
            ("next", "/account"),
        ])
        .await;
    assert!(response.status().is_success());
    assert_eq!(response.headers()["location"], "/account");
    let second_cookie = second.cookie.clone().unwrap();
    assert_ne!(second_cookie, first_cookie, "a new session id at login");
    assert!(second.me().await.is_some());

    let mut stale = app.visitor();
    stale.cookie = Some(first_cookie);
    assert!(stale.me().await.is_none(), "the replaced session ended");

    let kept = second_cookie.clone();
    second.call::<LogOut>(&[]).await;
    assert!(second.cookie.is_none(), "cookie cleared");
    let mut replay = app.visitor();
    replay.cookie = Some(kept);
    assert!(replay.me().await.is_none(), "session deleted server-side");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_is_for_organizers_and_admins_only() {
    let app = spawn_app().await;

    let response = app.get("/dashboard").await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/login?next=/dashboard");

    let customer = register(&app, &unique_email("cust"), false).await;
    let response = customer.get("/dashboard").await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(html.contains("This area is for organizers"));
    assert!(!html.contains("Your events"), "guarded HTML never rendered");

    let organizer = register(&app, &unique_email("org"), true).await;
    let response = organizer.get("/dashboard").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Your events"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_check_authorisation_themselves() {
    let app = spawn_app().await;
    let mut anonymous = app.visitor();
    assert_eq!(
        app_error(anonymous.call::<GetDashboard>(&[]).await).await,
        AppError::Unauthenticated
    );
    let mut customer = register(&app, &unique_email("cust"), false).await;
    assert_eq!(
        app_error(customer.call::<GetDashboard>(&[]).await).await,
        AppError::Forbidden
    );
    assert_eq!(
        app_error(customer.call::<SearchUsers>(&[("query", "")]).await).await,
        AppError::Forbidden
    );
    assert_eq!(
        app_error(
            customer
                .call::<SetUserRole>(&[("user_id", "x"), ("role", "admin")])
                .await
        )
        .await,
        AppError::Forbidden
    );
    let mut organizer = register(&app, &unique_email("org"), true).await;
    assert!(organizer
        .call::<GetDashboard>(&[])
        .await
        .status()
        .is_success());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let email = unique_email("pw");
    let mut here = register(&app, &email, false).await;
    let mut elsewhere = app.visitor();
    elsewhere
        .call::<LogIn>(&[("email", &email), ("password", "correct horse battery")])
        .await;
    assert!(elsewhere.me().await.is_some());

    let error = app_error(
        here.call::<ChangePassword>(&[
            ("current_password", "not it at all"),
            ("new_password", "a brand new secret"),
        ])
        .await,
    )
    .await;
    assert!(error.message_for("current_password").is_some());

    let response = here
        .call::<ChangePassword>(&[
            ("current_password", "correct horse battery"),
            ("new_password", "a brand new secret"),
        ])
        .await;
    assert!(response.status().is_success());
    assert!(here.me().await.is_some(), "this session stays");
    assert!(elsewhere.me().await.is_none(), "other sessions end");

    let mut fresh = app.visitor();
    let ok = fresh
        .call::<LogIn>(&[("email", &email), ("password", "a brand new secret")])
        .await;
    assert!(ok.status().is_success());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_and_become_organizer() {
    let app = spawn_app().await;
    let email = unique_email("multi");
    let mut one = register(&app, &email, false).await;
    let mut two = app.visitor();
    two.call::<LogIn>(&[("email", &email), ("password", "correct horse battery")])
        .await;

    one.call::<BecomeOrganizer>(&[]).await;
    assert_eq!(two.me().await.unwrap().role, Role::Organizer);

    one.call::<SignOutEverywhere>(&[]).await;
    assert!(one.me().await.is_none());
    assert!(two.me().await.is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_expire() {
    let mut settings = test_settings();
    settings.session_idle_secs = 60;
    let app = spawn_with(settings).await;
    let mut visitor = register(&app, &unique_email("idle"), false).await;
    assert!(visitor.me().await.is_some());
    app.sql("UPDATE session SET last_seen_at = time::now() - 2m")
        .await;
    assert!(visitor.me().await.is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_at_their_absolute_expiry_even_when_active() {
    let app = spawn_app().await;
    let mut visitor = register(&app, &unique_email("absolute"), false).await;
    app.sql("UPDATE session SET expires_at = time::now() - 1s")
        .await;
    assert!(visitor.me().await.is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_reads_the_password_from_stdin_not_argv() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("surrealkv://{}", dir.path().join("db").display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tickex"))
        .args(["create-admin", "--email", "Boss@Example.com"])
        .env("TICKEX_CONFIG", dir.path().join("missing.toml"))
        .env("TICKEX_DATABASE_URL", &database_url)
        .env("TICKEX_DB_DATABASE", test_settings().db_database)
        .env("TICKEX_DATA_DIR", dir.path())
        .env_remove("TICKEX_ADMIN_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"admin password 1\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("boss@example.com is an admin"));

    let mut settings = test_settings();
    settings.database_url = database_url;
    let app = spawn_with(settings).await;
    let mut admin = app.visitor();
    admin
        .call::<LogIn>(&[
            ("email", "boss@example.com"),
            ("password", "admin password 1"),
        ])
        .await;
    assert_eq!(admin.me().await.unwrap().role, Role::Admin);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_search_users_and_change_roles() {
    let app = spawn_app().await;
    let admin_email = unique_email("admin");
    accounts::create_admin(
        &app.server.state.db,
        Email::parse(&admin_email).unwrap(),
        NewPassword::parse("admin password 1".into()).unwrap(),
    )
    .await
    .unwrap();
    let target_email = unique_email("target");
    register(&app, &target_email, false).await;

    let mut admin = app.visitor();
    admin
        .call::<LogIn>(&[("email", &admin_email), ("password", "admin password 1")])
        .await;
    let response = admin
        .call::<SearchUsers>(&[("query", &target_email[..10])])
        .await;
    let rows: Vec<tickex::domain::AdminUserRow> =
        serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let target = rows.iter().find(|r| r.email == target_email).unwrap();
    assert_eq!(target.role, Role::Customer);

    let response = admin
        .call::<SetUserRole>(&[("user_id", &target.id), ("role", "organizer")])
        .await;
    assert!(response.status().is_success());
    let mut target_visitor = app.visitor();
    target_visitor
        .call::<LogIn>(&[
            ("email", &target_email),
            ("password", "correct horse battery"),
        ])
        .await;
    assert_eq!(target_visitor.me().await.unwrap().role, Role::Organizer);

    let html = admin.get("/admin/users").await.text().await.unwrap();
    assert!(html.contains(&target_email));
    app.stop().await;
}
