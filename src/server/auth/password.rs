//! argon2id with at least OWASP's parameters (m = 19 MiB, t = 2, p = 1), always computed
//! off the async runtime. `PasswordHash` is deliberately not `Serialize`.
use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, Output, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, LazyLock, Mutex};

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

/// How many hashes may wait for a hashing thread. At about 50 ms a hash, the last one
/// waits under two seconds; beyond that a flood of sign-ins is answered "busy" at once
/// instead of queueing without end in front of real users.
pub const MAX_WAITING: usize = 32;

/// Hashes queued and not yet started.
static WAITING: AtomicUsize = AtomicUsize::new(0);

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads: one fewer than the cores (at least one), so a flood of sign-ins
/// never takes every core from buyers. They live for the whole process and each reuses its
/// own working memory ([`WORKING_MEMORY`]); short-lived blocking threads left a fresh
/// allocator arena behind each (RSS grew by 350 MB over 100 sign-ups).
fn hashing_threads() -> &'static mpsc::Sender<Job> {
    static SENDER: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let threads =
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1));
        for i in 0..threads {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(queue) => queue.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    match job {
                        Ok(job) => {
                            WAITING.fetch_sub(1, Ordering::AcqRel);
                            // A panicking job fails its own request, not the thread.
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return,
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hashing thread");
            }
        }
        sender
    });
    &SENDER
}

/// Runs `work` on a hashing thread; `Busy` when [`MAX_WAITING`] hashes are already queued.
async fn on_a_core<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(HashError::Busy);
    }
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    let sent = hashing_threads().send(job);
    if sent.is_err() {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(HashError::Failed("hashing threads stopped".into()));
    }
    result
        .await
        .map_err(|_| HashError::Failed("a hashing thread stopped".into()))
}

thread_local! {
    /// Argon2's working memory, allocated once per hashing thread and reused by every hash
    /// on it: the allocator kept about ten freed 19 MiB blocks otherwise (+195 MB RSS).
    static WORKING_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 `hasher` into `out` with this thread's working memory.
fn argon2_into(
    hasher: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    WORKING_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        let blocks = hasher.params().block_count();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        hasher.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

pub async fn hash_password(password: String) -> Result<PasswordHash, HashError> {
    on_a_core(move || {
        let failed = |e: &dyn std::fmt::Display| HashError::Failed(e.to_string());
        let salt = SaltString::generate(&mut OsRng);
        let mut raw_salt = [0u8; 64];
        let raw_salt = salt.decode_b64(&mut raw_salt).map_err(|e| failed(&e))?;
        let hasher = hasher();
        let mut out = [0u8; 32];
        argon2_into(&hasher, password.as_bytes(), raw_salt, &mut out).map_err(|e| failed(&e))?;
        let phc = argon2::password_hash::PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: argon2::password_hash::ParamsString::try_from(hasher.params())
                .map_err(|e| failed(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
        };
        Ok(PasswordHash(phc.to_string()))
    })
    .await?
}

/// Whether `password` matches; a malformed stored hash never matches.
pub async fn verify_password(password: String, stored: PasswordHash) -> Result<bool, HashError> {
    on_a_core(move || matches(password.as_bytes(), &stored.0).unwrap_or(false)).await
}

/// Recomputes the stored hash's own algorithm, version and parameters over `password`;
/// `None` when the stored hash cannot be read.
fn matches(password: &[u8], stored: &str) -> Option<bool> {
    let parsed = argon2::password_hash::PasswordHash::new(stored).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .ok()?;
    let params = Params::try_from(&parsed).ok()?;
    let expected = parsed.hash?;
    let mut raw_salt = [0u8; 64];
    let raw_salt = parsed.salt?.decode_b64(&mut raw_salt).ok()?;
    let mut out = vec![0u8; expected.len()];
    let hasher = Argon2::new(algorithm, version, params);
    argon2_into(&hasher, password, raw_salt, &mut out).ok()?;
    // `Output`'s equality is constant-time.
    Some(Output::new(&out).ok()? == expected)
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
        // Hashes stored before the working memory was reused (argon2's own PHC output).
        let older = {
            use argon2::password_hash::PasswordHasher;
            let salt = SaltString::generate(&mut OsRng);
            hasher()
                .hash_password(b"old secret", &salt)
                .unwrap()
                .to_string()
        };
        assert_eq!(matches(b"old secret", &older), Some(true));
        assert_eq!(matches(b"new secret", &older), Some(false));

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
