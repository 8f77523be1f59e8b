//! `spawn_app()`: the real server on port 0 against a fresh `mem://` database.
#![allow(dead_code)] // each test file uses a different part of this helper

use tickex::server::config::Settings;
use tickex::server::http::{self, RunningServer};

/// What a browser sends when it navigates to a page.
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub server: RunningServer,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("accept", BROWSER_ACCEPT)
            .send()
            .await
            .expect("request failed")
    }

    /// Runs SurrealQL directly against the app's database (to age sessions, inspect rows...).
    pub async fn sql(&self, sql: &str) -> surrealdb::IndexedResults {
        self.server
            .state
            .db
            .execute(sql, Default::default())
            .await
            .expect("test query failed")
    }

    pub async fn stop(self) {
        tokio::time::timeout(std::time::Duration::from_secs(15), self.server.stop())
            .await
            .expect("the server did not stop within 15 s")
            .expect("server ended with an error");
    }
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::for_tests();
    settings.data_dir = tempfile::tempdir().expect("tempdir").keep();
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_settings()).await
}

/// A test app with the demo organizer, customer and events.
pub async fn spawn_demo_app() -> TestApp {
    let mut settings = test_settings();
    settings.demo = true;
    spawn_with(settings).await
}

pub async fn spawn_with(settings: Settings) -> TestApp {
    serve(
        http::prepare_state(settings)
            .await
            .expect("start-up failed"),
    )
    .await
}

pub async fn serve(state: tickex::server::state::AppState) -> TestApp {
    let server = http::start(state).await.expect("listen failed");
    TestApp {
        base: format!("http://{}", server.addr),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A hang becomes a failure with a message, not a stuck CI job.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client"),
        server,
    }
}

/// A browser-less user: keeps its own session cookie between requests.
pub struct Visitor<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
}

impl TestApp {
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor {
            app: self,
            cookie: None,
        }
    }
}

impl Visitor<'_> {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .get(format!("{}{path}", self.app.base))
            .header("accept", BROWSER_ACCEPT);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request failed")
    }

    /// Calls server function `S` the way the hydrated app does (form-encoded, no HTML).
    pub async fn call<S: leptos::server_fn::ServerFn>(
        &mut self,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .post(format!("{}{}", self.app.base, S::PATH))
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("request failed");
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap().to_owned();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        response
    }
}

impl Visitor<'_> {
    /// Who the app thinks this visitor is.
    pub async fn me(&mut self) -> Option<tickex::domain::UserView> {
        let response = self.call::<tickex::api::auth::GetCurrentUser>(&[]).await;
        assert!(response.status().is_success());
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }
}

/// The `AppError` a failed server function call returned.
pub async fn app_error(response: reqwest::Response) -> tickex::error::AppError {
    assert!(
        !response.status().is_success(),
        "expected an error, got {}",
        response.status()
    );
    let body = response.text().await.unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not an AppError ({e}): {body}"))
}
