//! Where event images live: local disk by default, Cloudinary when configured.
mod cloudinary;
pub mod image;
mod local;

pub use self::image::{ImageError, PreparedImage};
pub use cloudinary::CloudinaryStore;
pub use local::{LocalStore, MEDIA_PATH};

use crate::server::config::Settings;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("image storage I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("image service: {0}")]
    Remote(String),
}

/// Stores finished JPEG files under names it is given and says where they can be fetched.
pub trait ImageStore: Send + Sync {
    /// Stores `bytes` as `name` (`<random>.jpg`) and returns its public URL.
    fn put<'a>(&'a self, name: &'a str, bytes: &'a [u8]) -> StoreFuture<'a, String>;
    /// Removes a stored file; removing a missing file is not an error.
    fn delete<'a>(&'a self, name: &'a str) -> StoreFuture<'a, ()>;
}

pub fn from_settings(settings: &Settings) -> Arc<dyn ImageStore> {
    match &settings.cloudinary {
        Some(cloudinary) => Arc::new(CloudinaryStore::new(cloudinary.clone())),
        None => Arc::new(LocalStore::new(settings.data_dir.join("uploads"))),
    }
}

/// The URLs of a stored cover and thumbnail, and the names to delete them by.
#[derive(Debug, Clone)]
pub struct StoredImage {
    pub cover_url: String,
    pub thumb_url: String,
    names: [String; 2],
}

/// Stores both sizes under a fresh random name; nothing is left behind if either fails.
pub async fn store(
    store: &dyn ImageStore,
    image: &PreparedImage,
) -> Result<StoredImage, StorageError> {
    let base = uuid::Uuid::new_v4().simple().to_string();
    let names = [format!("{base}.jpg"), format!("{base}-thumb.jpg")];
    let cover_url = store.put(&names[0], &image.cover).await?;
    let thumb_url = match store.put(&names[1], &image.thumbnail).await {
        Ok(url) => url,
        Err(e) => {
            discard_names(store, &names[..1]).await;
            return Err(e);
        }
    };
    Ok(StoredImage {
        cover_url,
        thumb_url,
        names,
    })
}

/// Deletes an image whose database write failed; failures are only logged.
pub async fn discard(store: &dyn ImageStore, image: &StoredImage) {
    discard_names(store, &image.names).await;
}

async fn discard_names(store: &dyn ImageStore, names: &[String]) {
    for name in names {
        if let Err(e) = store.delete(name).await {
            tracing::warn!(error = %e, name, "could not delete an orphaned image");
        }
    }
}

/// Deletes the stored files behind the URLs of a replaced or deleted image.
pub async fn discard_urls(store: &dyn ImageStore, urls: &[Option<String>]) {
    let names: Vec<String> = urls
        .iter()
        .flatten()
        .filter_map(|url| url.rsplit('/').next())
        .filter(|name| is_stored_name(name))
        .map(str::to_owned)
        .collect();
    discard_names(store, &names).await;
}

/// Names this module generates: 32 hex digits, optionally `-thumb`, then `.jpg`.
pub fn is_stored_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".jpg") else {
        return false;
    };
    let stem = stem.strip_suffix("-thumb").unwrap_or(stem);
    stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_stored_name;

    #[test]
    fn only_generated_names_are_accepted() {
        assert!(is_stored_name("0123456789abcdef0123456789abcdef.jpg"));
        assert!(is_stored_name("0123456789abcdef0123456789abcdef-thumb.jpg"));
        assert!(!is_stored_name("../../etc/passwd"));
        assert!(!is_stored_name("0123456789abcdef0123456789abcdef.svg"));
    }
}
