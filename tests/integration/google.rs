//! Google sign-in against a local OpenID Connect double that signs real RS256 ID tokens.
use crate::common::google::{Provider, CLIENT_ID};
use crate::common::{spawn_with, test_settings, TestApp, Visitor};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::RsaPrivateKey;
use tickex::api::auth::{LogIn, RegisterUser};
use tickex::server::config::GoogleSettings;

/// TickEx's settings for signing in with this provider (test set-up, so it stays with the
/// tests; the provider itself is `common::google`).
impl Provider {
    fn settings(&self) -> tickex::server::config::Settings {
        let mut settings = test_settings();
        settings.google = Some(GoogleSettings {
            client_id: CLIENT_ID.into(),
            client_secret: "test-secret".into(),
            issuer_url: self.issuer.clone(),
        });
        settings
    }
}

/// Follows `/auth/google/start` and returns the `state` and `nonce` sent to the provider.
async fn begin(app: &TestApp, next: &str) -> (String, String) {
    let response = app.get(&format!("/auth/google/start?next={next}")).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse(&location).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("{name} missing from {location}"))
    };
    let bound = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        bound.starts_with(&format!("tickex_oidc={}", param("state"))) && bound.contains("HttpOnly"),
        "the state is bound to this browser: {bound}"
    );
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(!param("code_challenge").is_empty());
    (param("state"), param("nonce"))
}

/// Google sends the browser that started the sign-in back, with its state cookie.
async fn callback<'a>(app: &'a TestApp, state: &str) -> (reqwest::Response, Visitor<'a>) {
    callback_from(app, state, Some(state)).await
}

async fn callback_from<'a>(
    app: &'a TestApp,
    state: &str,
    cookie: Option<&str>,
) -> (reqwest::Response, Visitor<'a>) {
    let mut request = app.client.get(format!(
        "{}/auth/google/callback?code=the-code&state={state}",
        app.base
    ));
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("tickex_oidc={cookie}"));
    }
    let response = request.send().await.unwrap();
    let mut visitor = app.visitor();
    if let Some(cookie) = response.headers().get("set-cookie") {
        visitor.cookie = Some(
            cookie
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    (response, visitor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_google_sign_in_creates_a_customer_and_returns_to_next() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;
    let login = app.get("/login").await.text().await.unwrap();
    assert!(login.contains("Continue with Google"));

    let (state, nonce) = begin(&app, "/account").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims(&nonce, "google-sub-1", "Grace@Example.com", true),
        ))
        .await;
    let (response, mut visitor) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/account");
    let user = visitor.me().await.expect("signed in");
    assert_eq!(user.email, "grace@example.com");
    assert_eq!(user.name, "Grace Hopper");
    assert_eq!(user.role, tickex::domain::Role::Customer);

    // The state is single use.
    let (replay, replay_visitor) = callback(&app, &state).await;
    assert_eq!(replay.headers()["location"], "/login?error=google");
    assert!(replay_visitor.cookie.is_none());
    app.stop().await;
}

/// Signs `email` in through the provider and returns the signed-in visitor.
async fn sign_in_with_google<'a>(
    app: &'a TestApp,
    provider: &Provider,
    subject: &str,
    email: &str,
) -> Visitor<'a> {
    let (state, nonce) = begin(app, "/").await;
    provider
        .answer_token(
            provider.id_token(&provider.key, provider.claims(&nonce, subject, email, true)),
        )
        .await;
    callback(app, &state).await.1
}

const OWNER_PASSWORD: &str = "correct horse battery";

async fn register_owner<'a>(app: &'a TestApp, email: &str) -> Visitor<'a> {
    let mut owner = app.visitor();
    owner
        .call::<RegisterUser>(&[
            ("name", "Existing Owner"),
            ("email", email),
            ("password", OWNER_PASSWORD),
            ("organizer", "on"),
        ])
        .await;
    owner
}

async fn password_works(app: &TestApp, email: &str) -> bool {
    let mut visitor = app.visitor();
    visitor
        .call::<LogIn>(&[("email", email), ("password", OWNER_PASSWORD)])
        .await;
    visitor.me().await.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_google_email_signs_into_the_existing_account() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;
    let mut owner = register_owner(&app, "owner@example.com").await;
    // The owner confirmed the address (the link itself is tested in verification.rs).
    app.sql("UPDATE user SET email_verified_at = time::now() WHERE email = 'owner@example.com'")
        .await;

    let mut visitor =
        sign_in_with_google(&app, &provider, "google-sub-2", "owner@example.com").await;
    let user = visitor.me().await.expect("signed in");
    assert_eq!(user.name, "Existing Owner", "same account, not a new one");
    assert_eq!(user.role, tickex::domain::Role::Organizer);
    assert!(
        owner.me().await.is_some(),
        "the owner's other session goes on"
    );
    assert!(password_works(&app, "owner@example.com").await);
    app.stop().await;
}

/// Pre-hijacking: a squatter registers the victim's address first and waits. When the real
/// owner signs in with Google, the account is theirs and the squatter is out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_on_an_unverified_account_ends_the_squatters_access() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;
    let mut squatter = register_owner(&app, "victim@example.com").await;
    assert!(squatter.me().await.is_some());

    let mut owner =
        sign_in_with_google(&app, &provider, "google-sub-v", "victim@example.com").await;
    let user = owner.me().await.expect("the owner is signed in");
    assert!(user.email_verified, "Google vouched for the address");
    assert!(
        squatter.me().await.is_none(),
        "the squatter's session ended"
    );
    assert!(
        !password_works(&app, "victim@example.com").await,
        "the squatter's password no longer works"
    );
    let logged: Vec<String> =
        crate::common::query(&app, "SELECT VALUE action FROM account_log", &[]).await;
    assert_eq!(logged, vec!["google_took_over".to_owned()]);

    // Next time the same Google account signs in, nothing more is taken.
    let mut again =
        sign_in_with_google(&app, &provider, "google-sub-v", "victim@example.com").await;
    assert!(again.me().await.is_some());
    assert!(
        owner.me().await.is_some(),
        "the owner's first session goes on"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_unverified_tokens_are_refused() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;

    // Signed by a key the provider never published.
    let (state, nonce) = begin(&app, "/").await;
    let stranger =
        RsaPrivateKey::from_pkcs1_pem(include_str!("../fixtures/oidc-stranger-key.pem")).unwrap();
    provider
        .answer_token(provider.id_token(
            &stranger,
            provider.claims(&nonce, "sub-3", "x@example.com", true),
        ))
        .await;
    let (response, visitor) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/login?error=google");
    assert!(visitor.cookie.is_none());

    // Right key, wrong nonce.
    let (state, _) = begin(&app, "/").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims("another-nonce", "sub-3", "x@example.com", true),
        ))
        .await;
    let (response, _) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/login?error=google");

    // Unverified email.
    let (state, nonce) = begin(&app, "/").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims(&nonce, "sub-4", "y@example.com", false),
        ))
        .await;
    let (response, _) = callback(&app, &state).await;
    assert_eq!(response.headers()["location"], "/login?error=google");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_google_button_is_hidden_when_not_configured() {
    let app = crate::common::spawn_app().await;
    let login = app.get("/login").await.text().await.unwrap();
    assert!(!login.contains("Continue with Google"));
    assert_eq!(app.get("/auth/google/start").await.status(), 404);
    app.stop().await;
}

/// Someone else's `state` (login CSRF: an attacker starts a sign-in and sends the victim
/// the callback link) is refused in a browser that did not start that sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_in_another_browser_is_refused() {
    let provider = Provider::start().await;
    let app = spawn_with(provider.settings()).await;
    let (state, nonce) = begin(&app, "/account").await;
    provider
        .answer_token(provider.id_token(
            &provider.key,
            provider.claims(&nonce, "google-sub-csrf", "attacker@example.com", true),
        ))
        .await;
    for cookie in [None, Some("some-other-state")] {
        let (response, visitor) = callback_from(&app, &state, cookie).await;
        assert_eq!(response.headers()["location"], "/login?error=google");
        assert!(!visitor
            .cookie
            .is_some_and(|c| c.starts_with("tickex_session")));
    }
    let users: Vec<String> = crate::common::query(
        &app,
        "SELECT VALUE email FROM user WHERE email = 'attacker@example.com'",
        &[],
    )
    .await;
    assert!(users.is_empty(), "no account was signed in or created");
    app.stop().await;
}
