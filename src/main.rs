//! The `tickex` binary: `serve` (default) runs the web app.
#[cfg(feature = "ssr")]
const HELP: &str = "\
TickEx: open event ticketing

Usage: tickex [COMMAND]

Commands:
  serve     Run the web app (the default). Settings come from Leptos.toml ([tickex])
            and TICKEX_* environment variables; see the README for the list.
  create-admin --email EMAIL
            Create an admin account, or make an existing account an admin. The
            password comes from TICKEX_ADMIN_PASSWORD or the first line of stdin,
            never from the command line.
  check     Verify the purchase invariants in the database (ledgers, tickets, emails,
            ticket codes, lapsed holds). Prints each violation; exits 1 if there is any.
            Stop a server on a surrealkv:// database first (one process at a time).
  payments replay EVENT_ID
            Process a stored Stripe event again (one that failed or never finished;
            the admin page /admin/payments does the same). A processed one is left alone.
  payments reconcile
            Ask Stripe about every order waiting for payment: a paid session is
            fulfilled, a lapsed unpaid one expired. Prints what it did with each.
            Stop a server on a surrealkv:// database first (one process at a time).
  help      Show this text.

Examples:
  tickex                                   # http://127.0.0.1:3000 (production start)
  TICKEX_DEMO=true tickex                  # with demo data, test payments, dev mailbox
  TICKEX_DATABASE_URL=mem:// tickex serve  # throwaway in-memory database
";

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use std::process::ExitCode;
    use tickex::server::{http, telemetry};

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => {}
        Some("create-admin") => return cli::create_admin(&args[1..]).await,
        Some("check") => return cli::check().await,
        Some("payments") => return cli::payments(&args[1..]).await,
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("tickex: unknown command '{other}'\n\n{HELP}");
            return ExitCode::from(2);
        }
    }

    let settings = match cli::load_settings() {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    telemetry::init(&settings.log);
    let started = std::time::Instant::now();
    let state = match http::prepare_state(settings).await {
        Ok(state) => state,
        Err(error) => {
            tracing::error!("start-up failed: {error}");
            eprintln!("tickex: {error}");
            return ExitCode::from(1);
        }
    };
    let server = match http::start(state).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("tickex: {error}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(
        address = %server.addr,
        url = %server.state.settings.public_base_url,
        ready_in_ms = started.elapsed().as_millis() as u64,
        "TickEx is listening"
    );
    http::shutdown_signal().await;
    match server.stop().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tickex: server error: {error}");
            ExitCode::from(1)
        }
    }
}

#[cfg(feature = "ssr")]
mod cli {
    use std::io::BufRead;
    use std::process::ExitCode;
    use tickex::domain::{Email, NewPassword};
    use tickex::server::{config::Settings, db::Db, services::accounts};

    /// Settings, or the exit code after printing which setting is wrong.
    pub fn load_settings() -> Result<Settings, ExitCode> {
        Settings::load().map_err(|error| {
            eprintln!("tickex: configuration error: {error}");
            ExitCode::from(2)
        })
    }

    /// Settings and a database connection for a one-off command, or the exit code.
    async fn connect() -> Result<(Settings, Db), ExitCode> {
        let settings = load_settings()?;
        match Db::connect(&settings).await {
            Ok(db) => Ok((settings, db)),
            Err(error) => {
                eprintln!("tickex: TICKEX_DATABASE_URL: {error}");
                Err(ExitCode::from(1))
            }
        }
    }

    pub async fn check() -> ExitCode {
        let (settings, db) = match connect().await {
            Ok(both) => both,
            Err(code) => return code,
        };
        let period = chrono::Duration::seconds(settings.sweep_interval_secs);
        match tickex::server::services::check::check(&db, chrono::Utc::now(), period).await {
            Ok(violations) if violations.is_empty() => {
                println!("tickex check: all invariants hold");
                ExitCode::SUCCESS
            }
            Ok(violations) => {
                for v in &violations {
                    println!("violation: {v}");
                }
                println!("tickex check: {} violation(s)", violations.len());
                ExitCode::from(1)
            }
            Err(error) => {
                eprintln!("tickex check: could not read the database: {error}");
                ExitCode::from(2)
            }
        }
    }

    /// `tickex payments replay EVENT_ID` and `tickex payments reconcile`.
    pub async fn payments(args: &[String]) -> ExitCode {
        use tickex::server::services::orders::{self, Settled};
        let usage = "usage: tickex payments replay EVENT_ID | tickex payments reconcile";
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        if !matches!(words.as_slice(), ["replay", _] | ["reconcile"]) {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
        let settings = match load_settings() {
            Ok(settings) => settings,
            Err(code) => return code,
        };
        let state = match tickex::server::http::prepare_state(settings).await {
            Ok(state) => state,
            Err(error) => {
                eprintln!("tickex: {error}");
                return ExitCode::from(1);
            }
        };
        match words.as_slice() {
            ["replay", event_id] => match orders::replay_stripe_event(&state, event_id).await {
                Ok(outcome) => {
                    let said = match outcome {
                        tickex::domain::ReplayOutcome::Processed => "processed",
                        tickex::domain::ReplayOutcome::AlreadyProcessed => {
                            "was processed already; nothing done"
                        }
                    };
                    println!("{event_id}: {said}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("tickex payments replay: {error}");
                    ExitCode::from(1)
                }
            },
            _ => match orders::reconcile(&state, chrono::Utc::now()).await {
                Ok(settled) => {
                    for (order, fate) in &settled {
                        let said = match fate {
                            Settled::Fulfilled => "paid at Stripe: fulfilled".to_owned(),
                            Settled::Expired => "unpaid and lapsed: expired".to_owned(),
                            Settled::Waiting => "unpaid, still held".to_owned(),
                            Settled::Unknown(why) => format!("not checked: {why}"),
                        };
                        println!("order {order}: {said}");
                    }
                    println!(
                        "tickex payments reconcile: {} pending order(s) checked",
                        settled.len()
                    );
                    let unknown = settled
                        .iter()
                        .any(|(_, f)| matches!(f, Settled::Unknown(_)));
                    if unknown {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(error) => {
                    eprintln!("tickex payments reconcile: {error}");
                    ExitCode::from(1)
                }
            },
        }
    }

    pub async fn create_admin(args: &[String]) -> ExitCode {
        let email = match args {
            [flag, email] if flag == "--email" => email.clone(),
            _ => {
                eprintln!("usage: tickex create-admin --email EMAIL   (password from TICKEX_ADMIN_PASSWORD or stdin)");
                return ExitCode::from(2);
            }
        };
        let email = match Email::parse(&email) {
            Ok(email) => email,
            Err(message) => {
                eprintln!("tickex: --email: {message}");
                return ExitCode::from(2);
            }
        };
        let password = match std::env::var("TICKEX_ADMIN_PASSWORD") {
            Ok(password) if !password.is_empty() => password,
            _ => {
                let mut line = String::new();
                if std::io::stdin().lock().read_line(&mut line).is_err() {
                    eprintln!("tickex: could not read the password from stdin");
                    return ExitCode::from(2);
                }
                line.trim_end_matches(['\r', '\n']).to_owned()
            }
        };
        let password = match NewPassword::parse(password) {
            Ok(password) => password,
            Err(message) => {
                eprintln!("tickex: password: {message}");
                return ExitCode::from(2);
            }
        };
        let (_, db) = match connect().await {
            Ok(both) => both,
            Err(code) => return code,
        };
        if let Err(error) = db.apply_schema().await {
            eprintln!("tickex: TICKEX_DATABASE_URL: {error}");
            return ExitCode::from(1);
        }
        match accounts::create_admin(&db, email.clone(), password).await {
            Ok(()) => {
                println!("{email} is an admin");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("tickex: {error}");
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle starts in `lib.rs::hydrate`; this binary needs `--features ssr`.
}
