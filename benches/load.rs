//! The load tool: runs the real `tickex` binary as a separate process on a fresh
//! `surrealkv://` database (the default engine) and drives it over HTTP like browsers would.
//!
//!   make load                      # every scenario below, one table each
//!   make load ARGS="flash"         # one of: page, purchase, flash, crash, attack, door
//!   make load ARGS="ws-probe"      # concurrent queries on TICKEX_DATABASE_URL (scale-out)
//!   LOAD_PEER_URL=http://127.0.0.1:8000/event/x make load ARGS=page   # beside another system's page
//!
//! Sizes come from the environment (and `LOAD_DATABASE_URL` replaces the database): LOAD_SECS (per page run, default 10), LOAD_BUYERS
//! (purchase, default 1000), LOAD_FLASH_BUYERS / LOAD_FLASH_TICKETS (5000 / 500),
//! LOAD_DOOR_TICKETS / LOAD_DOORS / LOAD_DOOR_PACE_MS (5000 / 50 / 0: a door's pause before
//! each scan, 0.5x to 1.5x at random; 0 for every door at full speed).
//! The client shares the machine with the server, so every figure is a lower bound.
#[path = "../tests/common/mod.rs"]
mod common;

use common::process::{
    create_event, create_event_by, free_port, http_client, register_many, Buyer, Purchase, Server,
};
use futures::stream::{self, StreamExt};
use std::path::Path;
use std::time::{Duration, Instant};

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    // Another ticketing system's event page on this machine, for a side-by-side figure.
    let peer = std::env::var("LOAD_PEER_URL")
        .ok()
        .filter(|u| !u.is_empty());
    for connections in [10, 100] {
        let rss = || format!("{:.0}", common::rss_mib(server.pid()));
        let page_rps = hammer_row("TickEx event page", &url, connections, secs, rss).await;
        let in_tool = || "(in the load tool)".to_owned();
        let static_rps = hammer_row(
            "static axum, same bytes",
            &baseline,
            connections,
            secs,
            in_tool,
        )
        .await;
        if let Some(peer) = &peer {
            let label = format!("peer: {peer}");
            hammer_row(&label, peer, connections, secs, || "-".to_owned()).await;
        }
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

/// One table row of `hammer`ing `url` (`rss`: the server's memory after it); returns its
/// requests per second.
async fn hammer_row(
    label: &str,
    url: &str,
    connections: usize,
    secs: u64,
    rss: impl Fn() -> String,
) -> f64 {
    let (rps, mut latencies, errors) = hammer(url, connections, secs).await;
    row(&[
        label.into(),
        connections.to_string(),
        format!("{rps:.0}"),
        format!("{:.2}", latencies.pct(0.5)),
        format!("{:.2}", latencies.pct(0.9)),
        format!("{:.2}", latencies.pct(0.99)),
        errors.to_string(),
        rss(),
    ]);
    rps
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

/// `buyers` shop at once, each buying `rounds` tickets one after another (checkout, then
/// the demo payment); returns every purchase's latency and how many failed.
async fn shop(
    buyers: &[Buyer],
    event: &str,
    ticket_type: &str,
    rounds: usize,
) -> (Latencies, usize) {
    let runs: Vec<(Vec<Duration>, usize)> = stream::iter(buyers)
        .map(|buyer| async move {
            let (mut times, mut failed) = (Vec::new(), 0);
            for _ in 0..rounds {
                let t = Instant::now();
                match buyer.checkout(event, ticket_type).await {
                    Ok(order) if buyer.pay(&order).await => times.push(t.elapsed()),
                    _ => failed += 1,
                }
            }
            (times, failed)
        })
        .buffer_unordered(buyers.len())
        .collect()
        .await;
    let failed = runs.iter().map(|(_, f)| f).sum();
    (
        Latencies(runs.into_iter().flat_map(|(t, _)| t).collect()),
        failed,
    )
}

/// A password-guessing flood from one address: `attempts` wrong sign-ins, 64 at a time;
/// returns how many were answered with each status.
async fn sign_in_flood(base: String, attempts: usize) -> std::collections::BTreeMap<u16, usize> {
    use leptos::server_fn::ServerFn;
    let client = http_client();
    let statuses: Vec<u16> = stream::iter(0..attempts)
        .map(|i| {
            let (client, base) = (&client, &base);
            async move {
                let email = format!("victim{}@example.com", i % 50);
                client
                    .post(format!("{base}{}", tickex::api::auth::LogIn::PATH))
                    .form(&[("email", email.as_str()), ("password", "wrong guess 123")])
                    .send()
                    .await
                    .map_or(0, |r| r.status().as_u16())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut counts = std::collections::BTreeMap::new();
    for status in statuses {
        *counts.entry(status).or_insert(0) += 1;
    }
    counts
}

/// Issue 14's load check: 50 buyers shop alone, then 50 others shop while 2,000 wrong
/// sign-ins arrive from one address. The buyers' p99 should stay within 2x, and the
/// server's memory under 300 MB.
async fn attack_scenario(server: &Server) {
    let attempts = env_usize("LOAD_ATTACK_SIGNINS", 2000);
    let rounds = env_usize("LOAD_ATTACK_ROUNDS", 4);
    let (buyers, _) = register_many(&server.base, 100, "attack-buyer").await;
    let (quiet, loud) = buyers.split_at(50);
    let (_, event, ticket_type) = create_event(&server.base, 100 * rounds).await;
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let (peak, pid) = (peak.clone(), server.pid());
        tokio::spawn(async move {
            loop {
                let rss = common::rss_mib(pid) as u64;
                peak.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let (mut alone, alone_failed) = shop(quiet, &event, &ticket_type, rounds).await;
    let alone_peak = peak.swap(0, std::sync::atomic::Ordering::Relaxed);
    let started = Instant::now();
    let flood = tokio::spawn(sign_in_flood(server.base.clone(), attempts));
    let (mut attacked, attacked_failed) = shop(loud, &event, &ticket_type, rounds).await;
    let counts = flood.await.expect("the flood ran");
    let flood_secs = started.elapsed().as_secs_f64();
    let attacked_peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    sampler.abort();

    println!(
        "\n### Sign-in flood: {attempts} wrong sign-ins from one address while 50 buyers buy {rounds} tickets each\n"
    );
    row(&[
        "run".into(),
        "purchases".into(),
        "p50 ms".into(),
        "p99 ms".into(),
        "failed".into(),
        "peak server RSS MiB".into(),
    ]);
    row(&vec!["---".to_owned(); 6]);
    let alone_p99 = alone.pct(0.99);
    let attacked_p99 = attacked.pct(0.99);
    for (name, latencies, failed, rss) in [
        ("buyers alone", &mut alone, alone_failed, alone_peak),
        (
            "buyers under the flood",
            &mut attacked,
            attacked_failed,
            attacked_peak,
        ),
    ] {
        row(&[
            name.into(),
            latencies.0.len().to_string(),
            format!("{:.1}", latencies.pct(0.5)),
            format!("{:.1}", latencies.pct(0.99)),
            failed.to_string(),
            rss.to_string(),
        ]);
    }
    let answers: Vec<String> = counts.iter().map(|(s, n)| format!("{n} × {s}")).collect();
    println!(
        "\nThe flood's answers ({flood_secs:.1} s): {}. p99 under the flood / alone: {:.2} (target ≤ 2); peak RSS {} MiB (target < 300).",
        answers.join(", "),
        attacked_p99 / alone_p99.max(0.001),
        attacked_peak
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

/// `LOAD_PROBE_QUERIES` (300) concurrent increments through the app's one database handle
/// on `TICKEX_DATABASE_URL` (a `ws://` server in the scale-out script): each answer is
/// either a success whose increment is in the total, or an error, never a lost update.
async fn ws_probe() {
    let n = env_usize("LOAD_PROBE_QUERIES", 300);
    let settings = tickex::server::config::Settings::load().expect("TICKEX_* settings");
    let db = tickex::server::db::Db::connect(&settings)
        .await
        .expect("database");
    db.execute("UPSERT load_probe:counter SET n = 0", Default::default())
        .await
        .expect("reset");
    let results = futures::future::join_all((0..n).map(|_| {
        db.execute(
            "UPDATE load_probe:counter SET n += 1 RETURN NONE",
            Default::default(),
        )
    }))
    .await;
    let mut errors: std::collections::BTreeMap<String, usize> = Default::default();
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        *errors.entry(e.to_string()).or_default() += 1;
    }
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let mut response = db
        .execute("RETURN load_probe:counter.n", Default::default())
        .await
        .expect("read back");
    let total: Option<i64> = response.take(0).expect("a number");
    println!(
        "\n### {n} concurrent queries over one connection to {}\n",
        settings.database_url
    );
    row(&["measure".into(), "value".into()]);
    row(&vec!["---".to_owned(); 2]);
    row(&["succeeded".into(), ok.to_string()]);
    row(&[
        "increments in the total".into(),
        total.unwrap_or(-1).to_string(),
    ]);
    for (message, count) in &errors {
        row(&[format!("failed: {message}"), count.to_string()]);
    }
    assert_eq!(
        total,
        Some(ok as i64),
        "every success counted, no failure counted"
    );
}

/// The door: `LOAD_DOOR_TICKETS` sold tickets, each scanned by two of `LOAD_DOORS` doors
/// (device links) at once, all doors at full speed. Every ticket must be admitted exactly
/// once; the other scan of each is "already checked in".
async fn door_scenario(server: &Server) {
    use leptos::server_fn::ServerFn;
    use tickex::api::checkin::{CheckInTicket, CreateDoorLink, GetDoor};
    use tickex::domain::{CheckInAnswer, DoorData, ScanResult};
    let tickets = env_usize("LOAD_DOOR_TICKETS", 5000);
    let doors = env_usize("LOAD_DOORS", 50).max(2);
    let pace = Duration::from_millis(env_usize("LOAD_DOOR_PACE_MS", 0) as u64);
    let (organizer, _, event, ticket_type) = create_event_by(&server.base, tickets).await;
    let (buyers, _) = register_many(&server.base, tickets.div_ceil(10), "door-buyer").await;
    let (_, failed) = shop(&buyers, &event, &ticket_type, 10).await;
    assert_eq!(failed, 0, "every ticket sold");
    let (_, body) = organizer
        .call(GetDoor::PATH, &[("event_id", &event), ("device", "")])
        .await;
    let door: DoorData = serde_json::from_str(&body).expect("door data");
    let codes: Vec<String> = door
        .tickets
        .into_iter()
        .map(|t| t.code)
        .take(tickets)
        .collect();
    let mut links = Vec::with_capacity(doors);
    for d in 0..doors {
        let label = format!("Door {d}");
        let (status, body) = organizer
            .call(
                CreateDoorLink::PATH,
                &[("event_id", &event), ("label", &label), ("hours", "4")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let url: String = serde_json::from_str(&body).unwrap();
        links.push(url.split("#device=").nth(1).unwrap().to_owned());
    }
    // Each ticket twice, by doors half the room apart, the two scans next to each other.
    let scans: Vec<(usize, usize)> = (0..codes.len())
        .flat_map(|t| [(t, t % doors), (t, (t + doors / 2) % doors)])
        .collect();
    let client = http_client();
    let url = format!("{}{}", server.base, CheckInTicket::PATH);
    let started = Instant::now();
    let answers: Vec<(Option<ScanResult>, Duration)> = stream::iter(scans.iter().enumerate())
        .map(|(n, (t, d))| {
            let (client, url) = (client.clone(), url.clone());
            let (event, code, token) = (event.clone(), codes[*t].clone(), links[*d].clone());
            async move {
                // Doors are people: each pauses about `pace` (0.5x to 1.5x), not in step.
                tokio::time::sleep(pace.mul_f64(0.5 + rand::random::<f64>())).await;
                let scan_id = format!("load-{n}");
                let at = Instant::now();
                let result = client
                    .post(&url)
                    .form(&[
                        ("event_id", event.as_str()),
                        ("device", token.as_str()),
                        ("scan_id", scan_id.as_str()),
                        ("text", code.as_str()),
                    ])
                    .send()
                    .await;
                let answer = match result {
                    Ok(r) => r
                        .text()
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_str::<CheckInAnswer>(&b).ok())
                        .map(|a| a.result),
                    Err(_) => None,
                };
                (answer, at.elapsed())
            }
        })
        .buffer_unordered(doors)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let count = |want: Option<ScanResult>| answers.iter().filter(|(r, _)| *r == want).count();
    let (admitted, duplicate) = (
        count(Some(ScanResult::Admitted)),
        count(Some(ScanResult::Duplicate)),
    );
    let mut latencies = Latencies(answers.iter().map(|(_, d)| *d).collect());
    println!(
        "\n### Door: {} tickets, each scanned by two of {doors} doors at once ({} scans over HTTP, {} ms between a door's scans)\n",
        codes.len(),
        scans.len(),
        pace.as_millis()
    );
    row(&[
        "scans/s".into(),
        "p50 ms".into(),
        "p90 ms".into(),
        "p99 ms".into(),
        "admitted".into(),
        "already checked in".into(),
        "errors".into(),
        "server RSS MiB".into(),
    ]);
    row(&vec!["---".to_owned(); 8]);
    row(&[
        format!("{:.0}", scans.len() as f64 / elapsed.as_secs_f64()),
        format!("{:.1}", latencies.pct(0.5)),
        format!("{:.1}", latencies.pct(0.9)),
        format!("{:.1}", latencies.pct(0.99)),
        admitted.to_string(),
        duplicate.to_string(),
        (scans.len() - admitted - duplicate).to_string(),
        format!("{:.0}", common::rss_mib(server.pid())),
    ]);
    assert_eq!(admitted, codes.len(), "every ticket admitted exactly once");
    assert_eq!(
        duplicate,
        codes.len(),
        "every second scan told it is in already"
    );
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
    if run("attack") {
        let server = Server::start(&root.path().join("attack"), free_port()).await;
        attack_scenario(&server).await;
        server.stop();
    }
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
    if run("door") {
        let server = Server::start(&root.path().join("door"), free_port()).await;
        door_scenario(&server).await;
        server.stop();
        let (passed, report) = Server::check(Some(&root.path().join("door")));
        println!(
            "\n`tickex check` after the door run: {}",
            if passed { "passed" } else { "FAILED" }
        );
        assert!(passed, "{report}");
    }
    if run("crash") {
        let n = env_usize("LOAD_CRASH_BUYERS", 400);
        let outcome = common::process::crash_run(&root.path().join("crash"), n).await;
        println!("\n### Crash safety: SIGKILL during {n} purchases on surrealkv\n");
        row(&["measure".into(), "value".into()]);
        row(&vec!["---".to_owned(); 2]);
        row(&[
            "orders buyers saw paid before the kill".into(),
            outcome.paid_before.to_string(),
        ]);
        row(&[
            "of those, not paid with tickets after restart".into(),
            outcome.lost.len().to_string(),
        ]);
        row(&[
            "tickex check after restart".into(),
            if outcome.check_passed {
                "passed"
            } else {
                "FAILED"
            }
            .into(),
        ]);
        if !outcome.check_passed {
            println!("\n{}", outcome.check_report);
        }
        assert!(
            outcome.lost.is_empty() && outcome.check_passed,
            "{:?}",
            outcome.lost
        );
    }
    // Only on request: it needs a database server in TICKEX_DATABASE_URL.
    if wanted.iter().any(|w| w == "ws-probe") {
        ws_probe().await;
    }
}
