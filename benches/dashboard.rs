//! How long `/dashboard` takes to render with 100,000 paid orders behind it.
//! Run: `make bench` (cargo bench --bench dashboard --features ssr --profile server).
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

const ORDERS: i64 = 100_000;
const EVENTS: usize = 20;
const BATCH: i64 = 5_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let app = common::spawn_app().await;
    let email = common::unique_email("bench");
    let mut organizer = common::register(&app, &email, true).await;
    let ids: Vec<String> = common::query(
        &app,
        "SELECT VALUE record::id(id) FROM user WHERE email = $email",
        &[("email", &email)],
    )
    .await;
    let organizer_id = ids[0].clone();
    let mut events = Vec::new();
    for i in 0..EVENTS {
        let (event, types) = common::event_with(&app, &[("Standard", "25", "100000")]).await;
        app.sql(&format!(
            "UPDATE event:`{event}` SET organizer = user:`{organizer_id}`, title = 'Bench event {i}'"
        ))
        .await;
        events.push((event, types[0].clone()));
    }
    let buyer = common::buyers(&app, 1).await.remove(0);

    let fill = Instant::now();
    let per_event = ORDERS / EVENTS as i64;
    for (event, ticket_type) in &events {
        let mut start = 0;
        while start < per_event {
            let n = BATCH.min(per_event - start);
            // Rows as fulfilment leaves them, counters included.
            app.sql(&format!(
                "FOR $i IN {start}..{end} {{
                    CREATE purchase SET buyer = user:`{buyer}`, event = event:`{event}`,
                        organizer = user:`{organizer_id}`,
                        reference = string::concat('B-{event}-', <string>$i),
                        lines = [{{ ticket_type: ticket_type:`{ticket_type}`, name: 'Standard',
                            quantity: 1, unit_price_minor: 2500 }}],
                        total_minor = 2500, currency = 'EUR', status = 'paid',
                        hold_expires_at = time::now(), late_payment_refunded = false,
                        refund_pending = false, paid_at = time::now() - 1h * ($i % 700),
                        created_at = time::now() - 1h * ($i % 700), updated_at = time::now();
                 }};
                 UPDATE ticket_type:`{ticket_type}` SET available -= {n}, sold += {n};
                 UPDATE event:`{event}` SET revenue_minor += {n} * 2500, paid_orders += {n};",
                buyer = buyer.id,
                end = start + n,
            ))
            .await;
            start += n;
        }
    }
    app.sql(&format!(
        "FOR $d IN 0..30 {{
            LET $day = time::format(time::now() - 1d * $d, '%Y-%m-%d');
            FOR $e IN (SELECT VALUE id FROM event WHERE organizer = user:`{organizer_id}`) {{
                UPSERT type::record('sales_day', string::concat(record::id($e), '_', $day))
                    SET event = $e, organizer = user:`{organizer_id}`, day = $day,
                        currency = 'EUR', tickets = 160, revenue_minor = 400000;
            }};
        }};"
    ))
    .await;
    let filled = fill.elapsed();

    let mut page = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let response = organizer.get("/dashboard").await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        page.push(started.elapsed());
        assert!(html.contains("Recent bookings"));
    }
    page.sort();
    let mut data = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let response = organizer
            .call::<tickex::api::dashboard::GetDashboard>(&[])
            .await;
        assert!(response.status().is_success());
        data.push(started.elapsed());
    }
    data.sort();

    println!("\n| measure ({ORDERS} paid orders, {EVENTS} events) | value |");
    println!("|---|---|");
    println!("| fill time | {:.1} s |", filled.as_secs_f64());
    for (name, samples) in [
        ("GET /dashboard (SSR page)", &page),
        ("get_dashboard server fn", &data),
    ] {
        println!(
            "| {name} p50 / p95 / max | {:.1} / {:.1} / {:.1} ms |",
            percentile(samples, 0.5).as_secs_f64() * 1000.0,
            percentile(samples, 0.95).as_secs_f64() * 1000.0,
            samples.last().unwrap().as_secs_f64() * 1000.0
        );
    }
    println!(
        "| process RSS after the run | {:.0} MiB |",
        common::rss_mib(std::process::id())
    );
    println!("| goal | under 100 ms |");
    app.stop().await;
}
