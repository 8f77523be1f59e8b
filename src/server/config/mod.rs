//! Typed settings. Base values come from `Leptos.toml` (section `[tickex]`), then every
//! `TICKEX_*` environment variable overrides its key. Secrets are read only from the
//! environment and never printed.
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod secrets;
pub use secrets::{
    signing_key, CloudinarySettings, DbCredentials, GoogleSettings, ResendSettings, StripeSettings,
};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{setting}: {message}")]
    Invalid { setting: String, message: String },
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
}

impl ConfigError {
    fn invalid(setting: &str, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            setting: setting.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen_addr: SocketAddr,
    pub public_base_url: String,
    pub database_url: String,
    pub db_namespace: String,
    pub db_database: String,
    pub db_credentials: Option<DbCredentials>,
    pub data_dir: PathBuf,
    pub site_root: PathBuf,
    pub demo: bool,
    pub log: String,
    pub body_limit_bytes: usize,
    /// A session ends after this long without a request...
    pub session_idle_secs: i64,
    /// ...and after this long in any case.
    pub session_absolute_secs: i64,
    /// Google sign-in, when its client id and secret are set.
    pub google: Option<GoogleSettings>,
    /// Cloudinary image storage; local disk under `data_dir/uploads` when absent.
    pub cloudinary: Option<CloudinarySettings>,
    /// Stripe Checkout; without it paid checkout is off (the demo gateway in demo mode).
    pub stripe: Option<StripeSettings>,
    /// How long a checkout holds its tickets.
    pub hold_secs: i64,
    /// How long a waiting-list offer holds its seat for the person in line.
    pub offer_hold_secs: i64,
    /// Registrations and password-reset requests one client address may make at once
    /// (then one more every 30 s).
    pub account_requests_per_address: i64,
    /// Orders one account may have waiting for payment at one event.
    pub max_pending_orders: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from anyone else the
    /// header is ignored (it is the client's to forge).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How often expired holds are swept back into stock.
    pub sweep_interval_secs: i64,
    /// Resend for email; the dev mailbox when absent.
    pub resend: Option<ResendSettings>,
    /// The sender of every email, `Name <address>`.
    pub email_from: String,
    /// How often the outbox worker looks for email to send.
    pub outbox_interval_secs: i64,
    /// Emails sent per second at most: Resend allows 5 per team by default.
    pub email_rate_per_sec: i64,
    /// `/metrics` answers only with this bearer token; it is off without one.
    pub metrics_token: Option<crate::server::metrics::MetricsToken>,
}

/// What every outbound HTTP request of TickEx says it is. Resend refuses requests without a
/// `User-Agent` (403, error 1010), and reqwest sends none by itself.
pub const USER_AGENT: &str = concat!("TickEx/", env!("CARGO_PKG_VERSION"));

/// The keys `Leptos.toml` may set, all optional so an override can come from anywhere.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen_addr: Option<String>,
    public_base_url: Option<String>,
    database_url: Option<String>,
    db_namespace: Option<String>,
    db_database: Option<String>,
    data_dir: Option<String>,
    site_root: Option<String>,
    demo: Option<bool>,
    log: Option<String>,
    body_limit_bytes: Option<usize>,
    session_idle_secs: Option<i64>,
    session_absolute_secs: Option<i64>,
    google_issuer_url: Option<String>,
    cloudinary_api_base: Option<String>,
    stripe_api_base: Option<String>,
    hold_secs: Option<i64>,
    offer_hold_secs: Option<i64>,
    account_requests_per_address: Option<i64>,
    max_pending_orders: Option<i64>,
    trusted_proxies: Option<String>,
    sweep_interval_secs: Option<i64>,
    resend_api_base: Option<String>,
    email_from: Option<String>,
    outbox_interval_secs: Option<i64>,
    email_rate_per_sec: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct FileRoot {
    #[serde(default)]
    tickex: FileSettings,
}

/// Where a raw value came from, so an error names the key the user actually wrote.
struct Raw {
    setting: String,
    value: String,
}

impl Settings {
    /// Reads `Leptos.toml` (or the file in `TICKEX_CONFIG`) and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let path = std::env::var("TICKEX_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_sources(Path::new(&path), &env)
    }

    pub fn from_sources(path: &Path, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let file = match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str::<FileRoot>(&text)
                    .map_err(|e| ConfigError::File {
                        path: path.display().to_string(),
                        message: e.message().to_owned(),
                    })?
                    .tickex
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileSettings::default(),
            Err(e) => {
                return Err(ConfigError::File {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        let lookup = |key: &str, from_file: Option<String>| -> Option<Raw> {
            let env_key = format!("TICKEX_{}", key.to_ascii_uppercase());
            if let Some((_, value)) = env.iter().find(|(k, _)| *k == env_key) {
                return Some(Raw {
                    setting: env_key,
                    value: value.clone(),
                });
            }
            from_file.map(|value| Raw {
                setting: format!("{key} in {}", path.display()),
                value,
            })
        };
        let secret = |key: &str| {
            env.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };

        let listen_addr = lookup("listen_addr", file.listen_addr)
            .map(|raw| {
                raw.value.parse::<SocketAddr>().map_err(|_| {
                    ConfigError::invalid(
                        &raw.setting,
                        format!("'{}' is not an address like 127.0.0.1:3000", raw.value),
                    )
                })
            })
            .transpose()?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)));

        let public_base_url = match lookup("public_base_url", file.public_base_url) {
            Some(raw) => parse_base_url(&raw)?,
            None => format!("http://{listen_addr}"),
        };

        let data_dir = PathBuf::from(
            lookup("data_dir", file.data_dir)
                .map(|raw| raw.value)
                .unwrap_or_else(|| "data".into()),
        );
        let database_url = match lookup("database_url", file.database_url) {
            Some(raw) => parse_database_url(&raw)?,
            None => format!("surrealkv://{}", data_dir.join("tickex.db").display()),
        };
        let demo = lookup("demo", file.demo.map(|b| b.to_string()))
            .map(|raw| parse_bool(&raw))
            .transpose()?
            // Production is the default: demo data, the demo payment page and the dev
            // mailbox exist only when asked for (`make run` asks).
            .unwrap_or(false);
        let body_limit_bytes = lookup(
            "body_limit_bytes",
            file.body_limit_bytes.map(|n| n.to_string()),
        )
        .map(|raw| {
            raw.value
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1024)
                .ok_or_else(|| {
                    ConfigError::invalid(&raw.setting, "expected a number of bytes, at least 1024")
                })
        })
        .transpose()?
        .unwrap_or(12 * 1024 * 1024);

        let seconds = |key: &str, from_file: Option<i64>, default: i64, min: i64| {
            lookup(key, from_file.map(|n| n.to_string()))
                .map(|raw| {
                    raw.value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (min..=31_536_000).contains(n))
                        .ok_or_else(|| {
                            ConfigError::invalid(
                                &raw.setting,
                                format!("expected seconds between {min} and 31536000"),
                            )
                        })
                })
                .transpose()
                .map(|v| v.unwrap_or(default))
        };
        let session_idle_secs =
            seconds("session_idle_secs", file.session_idle_secs, 7 * 86_400, 60)?;
        let session_absolute_secs = seconds(
            "session_absolute_secs",
            file.session_absolute_secs,
            30 * 86_400,
            60,
        )?;
        // 30 minutes is the shortest life of a Stripe Checkout Session.
        let hold_secs = seconds("hold_secs", file.hold_secs, 30 * 60, 60)?;
        let offer_hold_secs = seconds("offer_hold_secs", file.offer_hold_secs, 24 * 3600, 60)?;
        let sweep_interval_secs = seconds("sweep_interval_secs", file.sweep_interval_secs, 30, 1)?;
        let max_pending_orders = seconds("max_pending_orders", file.max_pending_orders, 3, 1)?;
        let account_requests_per_address = seconds(
            "account_requests_per_address",
            file.account_requests_per_address,
            10,
            1,
        )?;

        let trusted_proxies = lookup("trusted_proxies", file.trusted_proxies)
            .map(|raw| parse_addresses(&raw))
            .transpose()?
            .unwrap_or_default();

        // Two secrets that only make sense together: both or neither.
        let pair = |first: &str, second: &str| match (secret(first), secret(second)) {
            (Some(a), Some(b)) => Ok(Some((a, b))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(ConfigError::invalid(
                second,
                format!("is required when {first} is set"),
            )),
            (None, Some(_)) => Err(ConfigError::invalid(
                first,
                format!("is required when {second} is set"),
            )),
        };
        let db_credentials = pair("TICKEX_DB_USER", "TICKEX_DB_PASSWORD")?
            .map(|(username, password)| DbCredentials { username, password });
        let google_issuer_url = match lookup("google_issuer_url", file.google_issuer_url) {
            Some(raw) => parse_base_url(&raw)?,
            None => "https://accounts.google.com".into(),
        };
        let google = pair("TICKEX_GOOGLE_CLIENT_ID", "TICKEX_GOOGLE_CLIENT_SECRET")?.map(
            |(client_id, client_secret)| GoogleSettings {
                client_id,
                client_secret,
                issuer_url: google_issuer_url,
            },
        );

        let cloudinary_api_base = match lookup("cloudinary_api_base", file.cloudinary_api_base) {
            Some(raw) => parse_base_url(&raw)?,
            None => "https://api.cloudinary.com".into(),
        };
        let cloudinary = secret("TICKEX_CLOUDINARY_URL")
            .map(|url| CloudinarySettings::parse(&url, cloudinary_api_base))
            .transpose()?;

        let stripe_api_base = match lookup("stripe_api_base", file.stripe_api_base) {
            Some(raw) => parse_base_url(&raw)?,
            None => "https://api.stripe.com".into(),
        };
        let stripe = pair("TICKEX_STRIPE_SECRET_KEY", "TICKEX_STRIPE_WEBHOOK_SECRET")?.map(
            |(secret_key, webhook_secret)| StripeSettings {
                secret_key,
                webhook_secret,
                api_base: stripe_api_base,
            },
        );

        let resend_api_base = match lookup("resend_api_base", file.resend_api_base) {
            Some(raw) => parse_base_url(&raw)?,
            None => "https://api.resend.com".into(),
        };
        let resend_webhook_secret = match secret("TICKEX_RESEND_WEBHOOK_SECRET") {
            Some(value) if signing_key(&value).is_none() => {
                return Err(ConfigError::invalid(
                    "TICKEX_RESEND_WEBHOOK_SECRET",
                    "expected the webhook's signing secret as Resend shows it (whsec_...)",
                ))
            }
            other => other,
        };
        let resend = secret("TICKEX_RESEND_API_KEY").map(|api_key| ResendSettings {
            api_key,
            api_base: resend_api_base,
            webhook_secret: resend_webhook_secret,
        });
        let email_from = match lookup("email_from", file.email_from) {
            Some(raw) if raw.value.contains('@') && !raw.value.contains(['\r', '\n']) => raw.value,
            Some(raw) => {
                return Err(ConfigError::invalid(
                    &raw.setting,
                    "expected a sender like TickEx <tickets@example.com>",
                ))
            }
            None => "TickEx <tickets@tickex.invalid>".into(),
        };
        let outbox_interval_secs =
            seconds("outbox_interval_secs", file.outbox_interval_secs, 2, 1)?;
        let email_rate_per_sec = seconds("email_rate_per_sec", file.email_rate_per_sec, 4, 1)?;

        Ok(Settings {
            listen_addr,
            public_base_url,
            database_url,
            db_namespace: lookup("db_namespace", file.db_namespace)
                .map(|r| r.value)
                .unwrap_or_else(|| "tickex".into()),
            db_database: lookup("db_database", file.db_database)
                .map(|r| r.value)
                .unwrap_or_else(|| "main".into()),
            db_credentials,
            data_dir,
            site_root: PathBuf::from(
                lookup("site_root", file.site_root)
                    .map(|r| r.value)
                    .unwrap_or_else(|| "target/site".into()),
            ),
            demo,
            log: lookup("log", file.log)
                .map(|r| r.value)
                .unwrap_or_else(|| "info,tickex=info,surrealdb=warn,surrealdb_core=warn".into()),
            body_limit_bytes,
            session_idle_secs,
            session_absolute_secs,
            google,
            cloudinary,
            stripe,
            hold_secs,
            offer_hold_secs,
            account_requests_per_address,
            max_pending_orders,
            trusted_proxies,
            sweep_interval_secs,
            resend,
            email_from,
            outbox_interval_secs,
            email_rate_per_sec,
            metrics_token: secret("TICKEX_METRICS_TOKEN")
                .map(crate::server::metrics::MetricsToken::new),
        })
    }

    /// Settings for tests and tools: an in-memory database, no demo data, any free port.
    pub fn for_tests() -> Self {
        Settings {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: "http://127.0.0.1".into(),
            database_url: "mem://".into(),
            db_namespace: "tickex".into(),
            db_database: "test".into(),
            db_credentials: None,
            data_dir: std::env::temp_dir().join("tickex-test-data"),
            site_root: PathBuf::from("target/site"),
            demo: false,
            log: "warn".into(),
            body_limit_bytes: 12 * 1024 * 1024,
            session_idle_secs: 7 * 86_400,
            session_absolute_secs: 30 * 86_400,
            google: None,
            cloudinary: None,
            stripe: None,
            hold_secs: 30 * 60,
            offer_hold_secs: 24 * 3600,
            account_requests_per_address: 10,
            max_pending_orders: 3,
            trusted_proxies: Vec::new(),
            // Tests run the sweeper and the outbox worker themselves, at the time they choose.
            sweep_interval_secs: 3600,
            resend: None,
            email_from: "TickEx <tickets@tickex.invalid>".into(),
            outbox_interval_secs: 3600,
            email_rate_per_sec: 4,
            metrics_token: None,
        }
    }

    pub fn is_https(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}

fn parse_base_url(raw: &Raw) -> Result<String, ConfigError> {
    let value = raw.value.trim().trim_end_matches('/');
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(value.to_owned())
        }
        _ => Err(ConfigError::invalid(
            &raw.setting,
            format!(
                "'{}' is not a URL like https://tickets.example.com",
                raw.value
            ),
        )),
    }
}

fn parse_database_url(raw: &Raw) -> Result<String, ConfigError> {
    const SCHEMES: [&str; 5] = ["surrealkv://", "mem://", "memory", "ws://", "wss://"];
    let value = raw.value.trim();
    if SCHEMES.iter().any(|s| value.starts_with(s)) {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::invalid(
            &raw.setting,
            format!("'{value}' is not supported; use surrealkv://path, mem://, or ws://host:port"),
        ))
    }
}

fn parse_addresses(raw: &Raw) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    raw.value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse().map_err(|_| {
                ConfigError::invalid(
                    &raw.setting,
                    format!("'{part}' is not an IP address (list them separated by commas)"),
                )
            })
        })
        .collect()
}

fn parse_bool(raw: &Raw) -> Result<bool, ConfigError> {
    match raw.value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError::invalid(
            &raw.setting,
            format!("'{other}' is not true or false"),
        )),
    }
}

#[cfg(test)]
mod tests;
