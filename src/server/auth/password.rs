//! argon2id with at least OWASP's parameters (m = 19 MiB, t = 2, p = 1), always computed
//! off the async runtime. `PasswordHash` is deliberately not `Serialize`.
use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash read from the database.
    pub fn from_stored(phc: String) -> Self {
        PasswordHash(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many hashes are already waiting for a core.
    #[error("password hashing is saturated")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

impl From<HashError> for AppError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => AppError::Overloaded,
            HashError::Failed(cause) => AppError::internal(cause),
        }
    }
}

/// How many hashes may wait for a core. At about 50 ms a hash on two cores, the last one
/// waits under a second; beyond that a flood of sign-ins is answered "busy" at once instead
/// of queueing without end in front of real users.
pub const MAX_WAITING: usize = 32;

static WAITING: AtomicUsize = AtomicUsize::new(0);

/// One place in the waiting line, given back however the wait ends (also when the request
/// is dropped).
struct InLine;

impl InLine {
    fn join() -> Result<Self, HashError> {
        if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
            WAITING.fetch_sub(1, Ordering::AcqRel);
            return Err(HashError::Busy);
        }
        Ok(InLine)
    }
}

impl Drop for InLine {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs one hash at a time per core. Each needs 19 MiB; hundreds of sign-ins at once would
/// otherwise start as many blocking threads, each keeping its own allocator arena (RSS in
/// the gigabytes after a few thousand sign-ups), and share the cores no faster.
async fn on_a_core<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    static CORES: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let place = InLine::join()?;
    // The semaphore is never closed, so acquiring cannot fail.
    let _permit = CORES.acquire().await.ok();
    drop(place);
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError::Failed(e.to_string()))
}

pub async fn hash_password(password: String) -> Result<PasswordHash, HashError> {
    on_a_core(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(|e| HashError::Failed(e.to_string()))
    })
    .await?
}

/// Whether `password` matches; a malformed stored hash never matches.
pub async fn verify_password(password: String, stored: PasswordHash) -> Result<bool, HashError> {
    on_a_core(move || {
        argon2::password_hash::PasswordHash::new(&stored.0)
            .map(|parsed| {
                hasher()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test: the waiting line is process-wide, so a second test running beside the flood
    /// would see "busy" too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_verify_use_owasp_parameters_and_a_flood_is_told_busy() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let stored = || PasswordHash::from_stored(hash.as_phc().to_owned());
        assert!(verify_password("correct horse".into(), stored())
            .await
            .unwrap());
        assert!(!verify_password("wrong horse".into(), stored())
            .await
            .unwrap());
        let garbage = PasswordHash::from_stored("garbage".into());
        assert!(!verify_password("x".into(), garbage).await.unwrap());
        assert_eq!(format!("{hash:?}"), "PasswordHash([redacted])");

        let flood = (0..200).map(|_| tokio::spawn(verify_password("wrong".into(), stored())));
        let results = futures::future::join_all(flood).await;
        let busy = results
            .iter()
            .filter(|r| matches!(r, Ok(Err(HashError::Busy))))
            .count();
        let checked = results
            .iter()
            .filter(|r| matches!(r, Ok(Ok(false))))
            .count();
        assert!(busy > 0, "a flood is refused, not queued without end");
        assert!(
            checked >= MAX_WAITING,
            "the line itself is served: {checked}"
        );
        assert_eq!(busy + checked, 200);
        assert_eq!(
            WAITING.load(Ordering::Acquire),
            0,
            "every place is given back"
        );
        assert!(verify_password("correct horse".into(), stored())
            .await
            .unwrap());
    }
}
