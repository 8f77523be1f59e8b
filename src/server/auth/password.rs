//! argon2id with at least OWASP's parameters (m = 19 MiB, t = 2, p = 1), always computed
//! off the async runtime. `PasswordHash` is deliberately not `Serialize`.
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

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
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Runs one hash at a time per core. Each needs 19 MiB; hundreds of sign-ins at once would
/// otherwise start as many blocking threads, each keeping its own allocator arena (RSS in
/// the gigabytes after a few thousand sign-ups), and share the cores no faster.
async fn on_a_core<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    static CORES: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    // The semaphore is never closed, so acquiring cannot fail.
    let _permit = CORES.acquire().await.ok();
    tokio::task::spawn_blocking(work).await
}

pub async fn hash_password(password: String) -> Result<PasswordHash, HashError> {
    on_a_core(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// True when `password` matches; a malformed stored hash never matches.
pub async fn verify_password(password: String, stored: PasswordHash) -> bool {
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
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let stored = || PasswordHash::from_stored(hash.as_phc().to_owned());
        assert!(verify_password("correct horse".into(), stored()).await);
        assert!(!verify_password("wrong horse".into(), stored()).await);
        assert!(!verify_password("x".into(), PasswordHash::from_stored("garbage".into())).await);
        assert_eq!(format!("{hash:?}"), "PasswordHash([redacted])");
    }
}
