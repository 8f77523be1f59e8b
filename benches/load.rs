//! The load tool: runs the real `tickex` binary as a separate process on a fresh
//! `surrealkv://` database (the default engine) and drives it over HTTP like browsers would.
//!
//!   make load                      # every scenario below, one table each
//!   make load ARGS="flash"         # one of: page, purchase, flash, crash
//!
//! Sizes come from the environment (and `LOAD_DATABASE_URL` replaces the database): LOAD_SECS (per page run, default 10), LOAD_BUYERS
//! (purchase, default 1000), LOAD_FLASH_BUYERS / LOAD_FLASH_TICKETS (5000 / 500).
//! The client shares the machine with the server, so every figure is a lower bound.
#[path = "../tests/common/mod.rs"]
mod common;

use futures::stream::{self, StreamExt};
use leptos::server_fn::ServerFn;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tickex::api::auth::RegisterUser;
use tickex::api::events::CreateEvent;
use tickex::api::orders::{Checkout, GetOrder, PayDemoOrder};

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `tickex serve` in its own process.
struct Server {
    child: Child,
    base: String,
    port: u16,
    data_dir: PathBuf,
}

impl Server {
    async fn start(data_dir: &Path, port: u16) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_tickex"))
            .arg("serve")
            .envs(server_env(data_dir, port))
            .stdout(Stdio::null())
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

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown hook runs, as in a power cut.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait, so the embedded database is closed before `tickex check` opens it.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    /// Runs `tickex check` on this server's database, or with the settings in the
    /// environment; returns (passed, output).
    fn check(data_dir: Option<&Path>) -> (bool, String) {
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

fn server_env(data_dir: &Path, port: u16) -> Vec<(String, String)> {
    [
        (
            "TICKEX_DATABASE_URL",
            // `LOAD_DATABASE_URL=mem://` separates the engine's cost from the rest.
            std::env::var("LOAD_DATABASE_URL")
                .unwrap_or_else(|_| format!("surrealkv://{}", data_dir.join("db").display())),
        ),
        ("TICKEX_DATA_DIR", data_dir.display().to_string()),
        ("TICKEX_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        ("TICKEX_DEMO", "false".into()),
        ("TICKEX_LOG", "warn".into()),
        ("TICKEX_SWEEP_INTERVAL_SECS", "2".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A buyer's order id once paid, or the status and body of the answer that stopped them.
type Purchase = Result<String, (u16, String)>;

/// One simulated person: their own connection and session cookie.
#[derive(Clone)]
struct Buyer {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

impl Buyer {
    async fn register(base: &str, email: &str, organizer: bool) -> Buyer {
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

    async fn call(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
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
    async fn checkout(&self, event: &str, ticket_type: &str) -> Purchase {
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
            (200, Ok(url)) => Ok(url.trim_start_matches("/pay/demo/").to_owned()),
            _ => Err((status, body)),
        }
    }

    async fn pay(&self, order: &str) -> bool {
        self.call(PayDemoOrder::PATH, &[("id", order)]).await.0 == 200
    }
}

/// An organizer's published event with one ticket type; returns (slug, event id, type id).
async fn create_event(base: &str, capacity: usize) -> (String, String, String) {
    let organizer = Buyer::register(base, &common::unique_email("load-org"), true).await;
    let fields = common::event_fields_with(
        "Load Test Live",
        &[("Standard", "25", &capacity.to_string())],
    );
    let response = organizer
        .client
        .post(format!("{base}{}", CreateEvent::PATH))
        .header("cookie", &organizer.cookie)
        .multipart(common::multipart(&fields, None))
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
    (
        path,
        value_after("name=\"event_id\""),
        value_after("name=\"lines[0][ticket_type_id]\""),
    )
}

async fn register_many(base: &str, n: usize, tag: &str) -> (Vec<Buyer>, Duration) {
    let started = Instant::now();
    let buyers: Vec<Buyer> = stream::iter(0..n)
        .map(|_| async move { Buyer::register(base, &common::unique_email(tag), false).await })
        .buffer_unordered(8)
        .collect()
        .await;
    (buyers, started.elapsed())
}

struct Latencies(Vec<Duration>);

impl Latencies {
    fn pct(&mut self, p: f64) -> f64 {
        self.0.sort();
        if self.0.is_empty() {
            return 0.0;
        }
        self.0[((self.0.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
    }
}

/// `connections` loops hammering `url` for `secs`; returns (req/s, latencies, errors).
async fn hammer(url: &str, connections: usize, secs: u64) -> (f64, Latencies, usize) {
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let results = futures::future::join_all((0..connections).map(|_| {
        let url = url.to_owned();
        tokio::spawn(async move {
            let client = http_client();
            let (mut samples, mut errors) = (Vec::new(), 0);
            while Instant::now() < until {
                let t = Instant::now();
                match client.get(&url).header("accept", "text/html").send().await {
                    Ok(r) if r.status().is_success() => {
                        if r.bytes().await.is_err() {
                            errors += 1;
                        }
                    }
                    _ => errors += 1,
                }
                samples.push(t.elapsed());
            }
            (samples, errors)
        })
    }))
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = Vec::new();
    let mut errors = 0;
    for (samples, e) in results.into_iter().map(Result::unwrap) {
        all.extend(samples);
        errors += e;
    }
    (all.len() as f64 / elapsed, Latencies(all), errors)
}

/// The same bytes from a minimal axum handler in this process: the ceiling for the page.
async fn static_baseline(body: String) -> String {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let body = body.clone();
            async move { axum::response::Html(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

fn row(cells: &[String]) {
    println!("| {} |", cells.join(" | "));
}

async fn page_scenario(server: &Server, slug: &str) {
    let secs = env_usize("LOAD_SECS", 10) as u64;
    let url = format!("{}{slug}", server.base);
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let baseline = static_baseline(body.clone()).await;
    println!(
        "\n### Event page ({} KiB of HTML), {secs} s per run\n",
        body.len() / 1024
    );
    row(&[
        "target".into(),
        "connections".into(),
        "req/s".into(),
        "p50 ms".into(),
        "p90 ms".into(),
        "p99 ms".into(),
        "errors".into(),
        "server RSS MiB".into(),
    ]);
    row(&vec!["---".to_owned(); 8]);
    for connections in [10, 100] {
        let (page_rps, mut page, page_errors) = hammer(&url, connections, secs).await;
        row(&[
            "TickEx event page".into(),
            connections.to_string(),
            format!("{page_rps:.0}"),
            format!("{:.2}", page.pct(0.5)),
            format!("{:.2}", page.pct(0.9)),
            format!("{:.2}", page.pct(0.99)),
            page_errors.to_string(),
            format!("{:.0}", common::rss_mib(server.pid())),
        ]);
        let (static_rps, mut fixed, static_errors) = hammer(&baseline, connections, secs).await;
        row(&[
            "static axum, same bytes".into(),
            connections.to_string(),
            format!("{static_rps:.0}"),
            format!("{:.2}", fixed.pct(0.5)),
            format!("{:.2}", fixed.pct(0.9)),
            format!("{:.2}", fixed.pct(0.99)),
            static_errors.to_string(),
            "(in the load tool)".into(),
        ]);
        row(&[
            "ratio page / static".into(),
            connections.to_string(),
            format!("{:.2}", page_rps / static_rps),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
}

/// Each buyer: checkout then demo payment (which fulfils); returns per-buyer outcomes.
async fn buy_all(
    buyers: &[Buyer],
    event: &str,
    ticket_type: &str,
    concurrency: usize,
) -> (Vec<Purchase>, Latencies, Duration) {
    let started = Instant::now();
    let outcomes: Vec<(Purchase, Duration)> = stream::iter(buyers)
        .map(|buyer| async move {
            let t = Instant::now();
            let outcome = match buyer.checkout(event, ticket_type).await {
                Ok(order) if buyer.pay(&order).await => Ok(order),
                Ok(order) => Err((0, format!("payment of {order} failed"))),
                Err(e) => Err(e),
            };
            (outcome, t.elapsed())
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let latencies = Latencies(outcomes.iter().map(|(_, d)| *d).collect());
    (
        outcomes.into_iter().map(|(o, _)| o).collect(),
        latencies,
        elapsed,
    )
}

async fn purchase_scenario(server: &Server) {
    let n = env_usize("LOAD_BUYERS", 1000);
    let (buyers, signup) = register_many(&server.base, n, "load-buyer").await;
    let (_, event, ticket_type) = create_event(&server.base, n).await;
    println!("\n### Purchase: {n} buyers, checkout + demo payment + fulfilment over HTTP\n");
    row(&[
        "concurrency".into(),
        "paid orders/s".into(),
        "p50 ms".into(),
        "p90 ms".into(),
        "p99 ms".into(),
        "errors".into(),
        "server RSS MiB".into(),
    ]);
    row(&vec!["---".to_owned(); 7]);
    let (outcomes, mut latencies, elapsed) = buy_all(&buyers, &event, &ticket_type, 50).await;
    let paid = outcomes.iter().filter(|o| o.is_ok()).count();
    row(&[
        "50".into(),
        format!("{:.0}", paid as f64 / elapsed.as_secs_f64()),
        format!("{:.1}", latencies.pct(0.5)),
        format!("{:.1}", latencies.pct(0.9)),
        format!("{:.1}", latencies.pct(0.99)),
        (n - paid).to_string(),
        format!("{:.0}", common::rss_mib(server.pid())),
    ]);
    println!(
        "\nSign-up before it (argon2id, m=19 MiB, t=2): {n} accounts in {:.1} s, {:.0}/s.",
        signup.as_secs_f64(),
        n as f64 / signup.as_secs_f64()
    );
}

/// The flash sale against our own server, or with `LOAD_SERVERS=http://a,http://b` against
/// running instances (the scale-out script), buyers spread over them round-robin; then
/// `tickex check` on the database (`TICKEX_DATABASE_URL` from the environment there).
async fn flash_scenario(data_dir: &Path) {
    let buyers_n = env_usize("LOAD_FLASH_BUYERS", 5000);
    let tickets = env_usize("LOAD_FLASH_TICKETS", 500);
    let external: Vec<String> = std::env::var("LOAD_SERVERS")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    let server = if external.is_empty() {
        Some(Server::start(data_dir, free_port()).await)
    } else {
        None
    };
    let bases: Vec<String> = match &server {
        Some(server) => vec![server.base.clone()],
        None => external,
    };
    let started = Instant::now();
    let mut buyers = Vec::with_capacity(buyers_n);
    for (i, base) in bases.iter().enumerate() {
        let share = buyers_n / bases.len() + usize::from(i < buyers_n % bases.len());
        buyers.extend(register_many(base, share, "flash-buyer").await.0);
    }
    println!(
        "({buyers_n} buyers signed up in {:.0} s)",
        started.elapsed().as_secs_f64()
    );
    let (_, event, ticket_type) = create_event(&bases[0], tickets).await;
    // Everyone at once (within 500 open connections): the first `tickets` win.
    let (outcomes, mut latencies, elapsed) =
        buy_all(&buyers, &event, &ticket_type, 500.min(buyers_n)).await;
    let sold = outcomes.iter().filter(|o| o.is_ok()).count();
    let sold_out = outcomes
        .iter()
        .filter(|o| matches!(o, Err((422, body)) if body.contains("sold out")))
        .count();
    let other: Vec<&(u16, String)> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .filter(|(status, body)| !(*status == 422 && body.contains("sold out")))
        .collect();
    let rss = server.as_ref().map_or(0.0, |s| common::rss_mib(s.pid()));
    let (passed, report) = match server {
        Some(server) => {
            server.stop();
            Server::check(Some(data_dir))
        }
        None => Server::check(None),
    };
    println!(
        "\n### Flash sale: {buyers_n} buyers for {tickets} tickets on {} instance(s)\n",
        bases.len()
    );
    row(&["measure".into(), "value".into()]);
    row(&vec!["---".to_owned(); 2]);
    for (k, v) in [
        ("tickets sold (paid)", sold.to_string()),
        ("buyers told \"sold out\"", sold_out.to_string()),
        ("other answers", other.len().to_string()),
        (
            "time until every buyer had an answer",
            format!("{:.2} s", elapsed.as_secs_f64()),
        ),
        (
            "per-buyer latency p50 / p99",
            format!("{:.0} / {:.0} ms", latencies.pct(0.5), latencies.pct(0.99)),
        ),
        ("server RSS (own server only)", format!("{rss:.0} MiB")),
        (
            "tickex check",
            if passed { "passed" } else { "FAILED" }.into(),
        ),
    ] {
        row(&[k.into(), v]);
    }
    if let Some((status, body)) = other.first() {
        println!(
            "\nFirst other answer: {status} {}",
            &body[..body.len().min(200)]
        );
    }
    if !passed {
        println!("\n{report}");
    }
    assert_eq!(sold, tickets, "exactly the capacity is sold");
}

/// Purchases run while the server is killed with SIGKILL; after a restart every order a
/// buyer saw paid is still paid with its tickets, and `tickex check` passes.
async fn crash_scenario(data_dir: &Path) {
    let n = env_usize("LOAD_CRASH_BUYERS", 400);
    let port = free_port();
    let server = Server::start(data_dir, port).await;
    let (buyers, _) = register_many(&server.base, n, "crash-buyer").await;
    let (_, event, ticket_type) = create_event(&server.base, n).await;
    let seen_paid = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let load = {
        let (buyers, event, ticket_type, seen_paid) = (
            buyers.clone(),
            event.clone(),
            ticket_type.clone(),
            seen_paid.clone(),
        );
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
    // Kill once about a third of the buyers have paid.
    while seen_paid.lock().unwrap().len() < n / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    let _ = load.await;
    let paid_before: Vec<(Buyer, String)> = seen_paid.lock().unwrap().clone();

    let server = Server::start(data_dir, port).await;
    // Pending orders from before the crash keep their 30-minute hold; nothing to sweep yet.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut lost = Vec::new();
    for (buyer, order) in &paid_before {
        let (status, body) = buyer
            .call(GetOrder::PATH, &[("id", order), ("cancelled", "false")])
            .await;
        let view: Option<tickex::domain::OrderView> = serde_json::from_str(&body).ok();
        match view {
            Some(v) if v.status == tickex::domain::OrderStatus::Paid && v.tickets.len() == 1 => {}
            _ => lost.push(format!("{order}: {status}")),
        }
    }
    server.stop();
    let (passed, report) = Server::check(Some(data_dir));
    println!("\n### Crash safety: SIGKILL during {n} purchases on surrealkv\n");
    row(&["measure".into(), "value".into()]);
    row(&vec!["---".to_owned(); 2]);
    row(&[
        "orders buyers saw paid before the kill".into(),
        paid_before.len().to_string(),
    ]);
    row(&[
        "of those, not paid with tickets after restart".into(),
        lost.len().to_string(),
    ]);
    row(&[
        "tickex check after restart".into(),
        if passed { "passed" } else { "FAILED" }.into(),
    ]);
    if !passed {
        println!("\n{report}");
    }
    assert!(lost.is_empty() && passed, "{lost:?}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let root = tempfile::tempdir().expect("tempdir");
    println!(
        "TickEx load tool: {} cores, server = {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        env!("CARGO_BIN_EXE_tickex")
    );
    if run("page") || run("purchase") {
        let server = Server::start(&root.path().join("main"), free_port()).await;
        if run("page") {
            let (slug, _, _) = create_event(&server.base, 100).await;
            page_scenario(&server, &slug).await;
        }
        if run("purchase") {
            purchase_scenario(&server).await;
        }
        println!(
            "\n(server on port {}, data in {})",
            server.port,
            server.data_dir.display()
        );
        server.stop();
    }
    if run("flash") {
        flash_scenario(&root.path().join("flash")).await;
    }
    if run("crash") {
        crash_scenario(&root.path().join("crash")).await;
    }
}
