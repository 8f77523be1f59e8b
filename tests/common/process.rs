//! The real `tickex` binary in its own process, and simulated people driving it over HTTP:
//! shared by the load tool (`benches/load.rs`) and the quick crash test.
use futures::stream::{self, StreamExt};
use leptos::server_fn::ServerFn;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tickex::api::auth::RegisterUser;
use tickex::api::events::CreateEvent;
use tickex::api::orders::{Checkout, GetOrder, PayDemoOrder};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `tickex serve` in its own process.
pub struct Server {
    child: Child,
    pub base: String,
    pub port: u16,
    pub data_dir: PathBuf,
}

impl Server {
    pub async fn start(data_dir: &Path, port: u16) -> Server {
        Self::start_with(data_dir, port, &[], Stdio::null()).await
    }

    /// [`Server::start`] with `extra` settings and the log (stdout) sent to `log`.
    pub async fn start_with(
        data_dir: &Path,
        port: u16,
        extra: &[(&str, &str)],
        log: impl Into<Stdio>,
    ) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_tickex"))
            .arg("serve")
            .envs(server_env(data_dir, port))
            .envs(extra.iter().copied())
            .stdout(log)
            .spawn()
            .expect("tickex starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            data_dir: data_dir.to_owned(),
        };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
                if r.status().is_success() {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("tickex did not become ready");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown hook runs, as in a power cut.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait, so the embedded database is closed before `tickex check` opens it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    /// Runs `tickex check` on this server's database, or with the settings in the
    /// environment; returns (passed, output).
    pub fn check(data_dir: Option<&Path>) -> (bool, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tickex"));
        if let Some(data_dir) = data_dir {
            command.envs(server_env(data_dir, 0));
        }
        let out = command.arg("check").output().expect("tickex check runs");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text.trim().to_owned())
    }
}

pub fn server_env(data_dir: &Path, port: u16) -> Vec<(String, String)> {
    [
        (
            "TICKEX_DATABASE_URL",
            // `LOAD_DATABASE_URL=mem://` separates the engine's cost from the rest.
            std::env::var("LOAD_DATABASE_URL")
                .unwrap_or_else(|_| format!("surrealkv://{}", data_dir.join("db").display())),
        ),
        ("TICKEX_DATA_DIR", data_dir.display().to_string()),
        ("TICKEX_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        // The real binary's payment provider here is the demo gateway (demo mode): it runs
        // the same fulfilment a Stripe payment does, with no network.
        ("TICKEX_DEMO", "true".into()),
        ("TICKEX_LOG", "warn".into()),
        // Every simulated buyer signs up from 127.0.0.1.
        ("TICKEX_ACCOUNT_REQUESTS_PER_ADDRESS", "1000000".into()),
        ("TICKEX_SWEEP_INTERVAL_SECS", "2".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A buyer's order id once paid, or the status and body of the answer that stopped them.
pub type Purchase = Result<String, (u16, String)>;

/// One simulated person: their own connection and session cookie.
#[derive(Clone)]
pub struct Buyer {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: String,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

impl Buyer {
    pub async fn register(base: &str, email: &str, organizer: bool) -> Buyer {
        let client = http_client();
        let mut form = vec![
            ("name", "Load Buyer"),
            ("email", email),
            ("password", "correct horse battery"),
            ("next", "/"),
        ];
        if organizer {
            form.push(("organizer", "on"));
        }
        let response = client
            .post(format!("{base}{}", RegisterUser::PATH))
            .form(&form)
            .send()
            .await
            .expect("register");
        assert!(response.status().is_success(), "{}", response.status());
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        Buyer {
            client,
            base: base.to_owned(),
            cookie,
        }
    }

    pub async fn call(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        match self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
        {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(e) => (0, e.to_string()),
        }
    }

    /// Checkout of `quantity`; the order id when tickets were held.
    pub async fn checkout(&self, event: &str, ticket_type: &str) -> Purchase {
        let (status, body) = self
            .call(
                Checkout::PATH,
                &[
                    ("event_id", event),
                    ("lines[0][ticket_type_id]", ticket_type),
                    ("lines[0][quantity]", "1"),
                ],
            )
            .await;
        match (status, serde_json::from_str::<String>(&body)) {
            (200, Ok(url)) => Ok(url
                .trim_start_matches("/pay/demo/")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned()),
            _ => Err((status, body)),
        }
    }

    pub async fn pay(&self, order: &str) -> bool {
        self.call(PayDemoOrder::PATH, &[("id", order)]).await.0 == 200
    }
}

/// An organizer's published event with one ticket type; returns (slug, event id, type id).
pub async fn create_event(base: &str, capacity: usize) -> (String, String, String) {
    let (_, slug, event, ticket_type) = create_event_by(base, capacity).await;
    (slug, event, ticket_type)
}

/// [`create_event`], with the organizer (signed in) as well.
pub async fn create_event_by(base: &str, capacity: usize) -> (Buyer, String, String, String) {
    let organizer = Buyer::register(base, &super::unique_email("load-org"), true).await;
    let fields = super::event_fields_with(
        "Load Test Live",
        &[("Standard", "25", &capacity.to_string())],
    );
    let response = organizer
        .client
        .post(format!("{base}{}", CreateEvent::PATH))
        .header("cookie", &organizer.cookie)
        .multipart(super::multipart(&fields, None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let path: String = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let html = organizer
        .client
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value_after = |marker: &str| {
        let at = html.find(marker).expect(marker) + marker.len();
        let rest = &html[at..];
        let start = rest.find("value=\"").unwrap() + 7;
        rest[start..start + rest[start..].find('"').unwrap()].to_owned()
    };
    let event = value_after("name=\"event_id\"");
    let ticket_type = value_after("name=\"lines[0][ticket_type_id]\"");
    (organizer, path, event, ticket_type)
}

pub async fn register_many(base: &str, n: usize, tag: &str) -> (Vec<Buyer>, Duration) {
    let started = Instant::now();
    let buyers: Vec<Buyer> = stream::iter(0..n)
        .map(|_| async move { Buyer::register(base, &super::unique_email(tag), false).await })
        .buffer_unordered(8)
        .collect()
        .await;
    (buyers, started.elapsed())
}

/// What a SIGKILL in the middle of purchases left behind, seen after a restart.
pub struct CrashOutcome {
    /// Orders whose buyer saw the payment succeed before the kill.
    pub paid_before: usize,
    /// Of those, the ones not paid with their ticket after the restart.
    pub lost: Vec<String>,
    pub check_passed: bool,
    pub check_report: String,
}

/// `n` buyers buy one ticket each, 20 at a time, against `tickex serve` on surrealkv; the
/// server is killed with SIGKILL once a third have paid, restarted on the same files, and
/// every order a buyer saw paid is read back as that buyer; then `tickex check` runs.
pub async fn crash_run(data_dir: &Path, n: usize) -> CrashOutcome {
    let port = free_port();
    let server = Server::start(data_dir, port).await;
    let (buyers, _) = register_many(&server.base, n, "crash-buyer").await;
    let (_, event, ticket_type) = create_event(&server.base, n).await;
    let seen_paid = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let load = {
        let (event, ticket_type, seen_paid) =
            (event.clone(), ticket_type.clone(), seen_paid.clone());
        tokio::spawn(async move {
            stream::iter(buyers)
                .for_each_concurrent(20, |buyer| {
                    let (event, ticket_type, seen_paid) =
                        (event.clone(), ticket_type.clone(), seen_paid.clone());
                    async move {
                        if let Ok(order) = buyer.checkout(&event, &ticket_type).await {
                            if buyer.pay(&order).await {
                                seen_paid.lock().unwrap().push((buyer.clone(), order));
                            }
                        }
                    }
                })
                .await
        })
    };
    while seen_paid.lock().unwrap().len() < n / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    let _ = load.await;
    let paid_before: Vec<(Buyer, String)> = seen_paid.lock().unwrap().clone();

    let server = Server::start(data_dir, port).await;
    let mut lost = Vec::new();
    for (buyer, order) in &paid_before {
        let (status, body) = buyer.call(GetOrder::PATH, &[("id", order)]).await;
        let view: Option<tickex::domain::OrderView> = serde_json::from_str(&body).ok();
        match view {
            Some(v) if v.status == tickex::domain::OrderStatus::Paid && v.tickets.len() == 1 => {}
            _ => lost.push(format!("{order}: {status}")),
        }
    }
    server.stop();
    let (check_passed, check_report) = Server::check(Some(data_dir));
    CrashOutcome {
        paid_before: paid_before.len(),
        lost,
        check_passed,
        check_report,
    }
}
