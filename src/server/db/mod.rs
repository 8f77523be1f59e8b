//! The database: one `Surreal<Any>` chosen by URL, the schema, and the one helper every
//! statement goes through. `*Record` types never leave this folder.
pub mod check;
pub mod checkin;
pub mod codes;
pub mod dashboard;
pub mod events;
mod flags;
pub mod ledger;
pub mod oidc;
pub mod orders;
pub mod outbox;
pub mod personal_data;
pub mod questions;
pub mod quotas;
pub mod resets;
mod sessions;
mod status;
mod users;
pub mod verifications;
pub mod waitlist;
pub mod webhooks;

pub use events::{EventRepo, EventWrite, TicketTypeWrite};
pub use sessions::SessionRepo;
pub use users::{NewUser, UserRepo};

use crate::server::config::Settings;
use std::sync::Arc;
use std::time::Duration;
use surrealdb::engine::any::Any;
use surrealdb::opt::auth::Root;
use surrealdb::types::{QueryError, SurrealValue, Variables};
use surrealdb::{IndexedResults, Surreal};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unreachable at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("{0}")]
    Query(String),
    #[error("a unique value is already taken: {0}")]
    Duplicate(String),
    #[error("transaction kept conflicting after {0} attempts")]
    Contention(u32),
    /// A business rule in the query refused the write (`THROW '<code>'`).
    #[error("refused by the database: {0}")]
    Rejected(String),
}

impl DbError {
    pub(crate) fn from_surreal(error: surrealdb::Error) -> Self {
        let message = error.to_string();
        if error.is_thrown() {
            let code = error.message();
            let code = code.strip_prefix("An error occurred: ").unwrap_or(code);
            return DbError::Rejected(code.to_owned());
        }
        if error.is_already_exists() || message.contains("already contains") {
            DbError::Duplicate(message)
        } else {
            DbError::Query(message)
        }
    }
}

/// A statement that did not run because another one in its transaction failed.
fn is_cancelled(error: &surrealdb::Error) -> bool {
    error.query_details() == Some(&QueryError::NotExecuted)
        || error
            .to_string()
            .contains("not executed due to a failed transaction")
}

fn is_conflict(error: &surrealdb::Error) -> bool {
    error.query_details() == Some(&QueryError::TransactionConflict)
        || error.to_string().contains("can be retried")
}

/// A cheap, cloneable handle to the database. The client sits behind an `Arc` because
/// cloning a `Surreal` opens a new database session, which a request does not need.
#[derive(Clone)]
pub struct Db {
    client: Arc<Surreal<Any>>,
}

const SCHEMA: &[(&str, &str)] = &[
    ("001_accounts", include_str!("schema/001_accounts.surql")),
    ("002_events", include_str!("schema/002_events.surql")),
    ("003_sessions", include_str!("schema/003_sessions.surql")),
    ("004_google", include_str!("schema/004_google.surql")),
    ("005_orders", include_str!("schema/005_orders.surql")),
    ("006_dashboard", include_str!("schema/006_dashboard.surql")),
    (
        "007_verification",
        include_str!("schema/007_verification.surql"),
    ),
    (
        "008_reset_requests",
        include_str!("schema/008_reset_requests.surql"),
    ),
    ("009_refunds", include_str!("schema/009_refunds.surql")),
    (
        "010_email_delivery",
        include_str!("schema/010_email_delivery.surql"),
    ),
    ("011_lifecycle", include_str!("schema/011_lifecycle.surql")),
    ("012_checkin", include_str!("schema/012_checkin.surql")),
    ("013_door_log", include_str!("schema/013_door_log.surql")),
    ("014_guests", include_str!("schema/014_guests.surql")),
    ("015_transfers", include_str!("schema/015_transfers.surql")),
    ("016_questions", include_str!("schema/016_questions.surql")),
    (
        "017_personal_data",
        include_str!("schema/017_personal_data.surql"),
    ),
    (
        "018_holder_links",
        include_str!("schema/018_holder_links.surql"),
    ),
    ("019_sales", include_str!("schema/019_sales.surql")),
];

/// Enough for hundreds of buyers of one ticket type at once (about 5 s of backoff in all).
const MAX_ATTEMPTS: u32 = 20;

impl Db {
    pub async fn connect(settings: &Settings) -> Result<Self, DbError> {
        let url = settings.database_url.clone();
        let fail = |message: String| DbError::Connect {
            url: url.clone(),
            message,
        };
        if let Some(path) = url.strip_prefix("surrealkv://") {
            if let Some(parent) = std::path::Path::new(path).parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| fail(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
        let connect = async {
            let client = surrealdb::engine::any::connect(url.as_str()).await?;
            if let Some(creds) = &settings.db_credentials {
                client
                    .signin(Root {
                        username: creds.username.clone(),
                        password: creds.password.clone(),
                    })
                    .await?;
            }
            client
                .use_ns(settings.db_namespace.as_str())
                .use_db(settings.db_database.as_str())
                .await?;
            Ok::<_, surrealdb::Error>(client)
        };
        let client = tokio::time::timeout(Duration::from_secs(15), connect)
            .await
            .map_err(|_| fail("no answer within 15 seconds".into()))?
            .map_err(|e| fail(e.to_string()))?;
        Ok(Db {
            client: Arc::new(client),
        })
    }

    /// Applies every schema file whose content changed since it was last applied. The
    /// statements are `DEFINE ... OVERWRITE`, so applying one twice is harmless.
    pub async fn apply_schema(&self) -> Result<(), DbError> {
        self.execute(
            "DEFINE TABLE IF NOT EXISTS schema_file SCHEMAFULL;
             DEFINE FIELD IF NOT EXISTS hash ON schema_file TYPE string;
             DEFINE FIELD IF NOT EXISTS applied_at ON schema_file TYPE datetime;",
            Variables::new(),
        )
        .await?;
        for (name, text) in SCHEMA {
            let hash = fnv1a(text);
            let mut vars = Variables::new();
            vars.insert("name", name.to_string());
            let mut current = self
                .execute(
                    "SELECT VALUE hash FROM type::record('schema_file', $name)",
                    vars,
                )
                .await?;
            let applied: Option<String> = current.take(0).map_err(DbError::from_surreal)?;
            if applied.as_deref() == Some(hash.as_str()) {
                continue;
            }
            self.execute(text, Variables::new()).await?;
            let mut vars = Variables::new();
            vars.insert("name", name.to_string());
            vars.insert("hash", hash);
            self.execute(
                "UPSERT type::record('schema_file', $name) SET hash = $hash, applied_at = time::now()",
                vars,
            )
            .await?;
            tracing::info!(file = name, "schema applied");
        }
        Ok(())
    }

    /// Runs `sql` with `vars` and checks every statement. A transaction conflict (snapshot
    /// isolation: someone else wrote the same record) is retried with jittered backoff.
    pub async fn execute(&self, sql: &str, vars: Variables) -> Result<IndexedResults, DbError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.client.query(sql).bind(vars.clone()).await;
            let error = match outcome {
                Ok(mut response) => {
                    let errors = response.take_errors();
                    // In a failed transaction every other statement reports "not executed";
                    // the cause is the one statement that says something else.
                    let cause = errors
                        .into_iter()
                        .min_by_key(|(index, error)| (is_cancelled(error), *index));
                    match cause {
                        None => return Ok(response),
                        Some((_, error)) => error,
                    }
                }
                Err(error) => error,
            };
            if is_conflict(&error) && attempt < MAX_ATTEMPTS {
                let base = 5_u64 << attempt.min(6);
                let jitter = rand::random::<u64>() % base;
                tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                continue;
            }
            if is_conflict(&error) {
                return Err(DbError::Contention(attempt));
            }
            return Err(DbError::from_surreal(error));
        }
    }

    /// Runs a query of one statement and returns its rows.
    pub async fn rows<T: SurrealValue>(
        &self,
        sql: &str,
        vars: Variables,
    ) -> Result<Vec<T>, DbError> {
        let mut response = self.execute(sql, vars).await?;
        response.take(0).map_err(DbError::from_surreal)
    }

    /// Runs a query of one statement and returns its first row, if any.
    pub async fn first<T: SurrealValue>(
        &self,
        sql: &str,
        vars: Variables,
    ) -> Result<Option<T>, DbError> {
        Ok(self.rows(sql, vars).await?.into_iter().next())
    }

    pub async fn is_ready(&self) -> bool {
        let ping = self.client.query("RETURN 1");
        matches!(
            tokio::time::timeout(Duration::from_secs(2), ping).await,
            Ok(Ok(_))
        )
    }
}

/// A stable content hash for schema files (not for security).
fn fnv1a(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Builds a variable map: `vars![("name", value), ...]`.
#[macro_export]
macro_rules! vars {
    ($(($key:expr, $value:expr)),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut vars = surrealdb::types::Variables::new();
        $(vars.insert($key, $value);)*
        vars
    }};
}

/// A guarded transaction's outcome: false when it threw `code` (its guard did not hold, so
/// nothing changed), true when it committed.
pub(crate) fn committed_unless(
    outcome: Result<IndexedResults, DbError>,
    code: &str,
) -> Result<bool, DbError> {
    match outcome {
        Ok(_) => Ok(true),
        Err(DbError::Rejected(thrown)) if thrown == code => Ok(false),
        Err(e) => Err(e),
    }
}

/// A fresh random record key (122 random bits), URL-safe.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
