//! Cloudinary's Upload API with signed requests
//! (https://cloudinary.com/documentation/authentication_signatures): the parameters other
//! than `file`, `api_key` and the signature, sorted and joined as `k=v&k=v`, then the API
//! secret appended, hashed with SHA-1 and hex-encoded.
use super::{ImageStore, StorageError, StoreFuture};
use crate::server::config::CloudinarySettings;
use sha1::{Digest, Sha1};

const FOLDER: &str = "tickex";

pub struct CloudinaryStore {
    settings: CloudinarySettings,
    http: reqwest::Client,
}

#[derive(serde::Deserialize)]
struct UploadResponse {
    secure_url: String,
}

impl CloudinaryStore {
    pub fn new(settings: CloudinarySettings) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(crate::server::config::USER_AGENT)
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        CloudinaryStore { settings, http }
    }

    fn endpoint(&self, action: &str) -> String {
        format!(
            "{}/v1_1/{}/image/{action}",
            self.settings.api_base, self.settings.cloud_name
        )
    }

    /// `params` plus a timestamp, the API key and the signature over them.
    fn signed(&self, mut params: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
        params.push(("timestamp", chrono::Utc::now().timestamp().to_string()));
        params.sort();
        let signature = sign(&params, &self.settings.api_secret);
        params.push(("api_key", self.settings.api_key.clone()));
        params.push(("signature", signature));
        params
    }
}

fn public_id(name: &str) -> String {
    name.strip_suffix(".jpg").unwrap_or(name).to_owned()
}

/// Cloudinary's signature over already sorted, unescaped parameters.
pub fn sign(sorted: &[(&str, String)], secret: &str) -> String {
    let joined = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let digest = Sha1::digest(format!("{joined}{secret}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn remote(context: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Remote(format!("{context}: {e}"))
}

impl ImageStore for CloudinaryStore {
    fn put<'a>(&'a self, name: &'a str, bytes: &'a [u8]) -> StoreFuture<'a, String> {
        Box::pin(async move {
            let file = reqwest::multipart::Part::bytes(bytes.to_vec())
                .file_name(name.to_owned())
                .mime_str("image/jpeg")
                .map_err(|e| remote("upload", e))?;
            let params = vec![
                ("folder", FOLDER.to_owned()),
                ("public_id", public_id(name)),
            ];
            let form = self
                .signed(params)
                .into_iter()
                .fold(reqwest::multipart::Form::new(), |form, (k, v)| {
                    form.text(k, v)
                })
                .part("file", file);
            let response = self
                .http
                .post(self.endpoint("upload"))
                .multipart(form)
                .send()
                .await
                .map_err(|e| remote("upload", e))?;
            let status = response.status();
            if !status.is_success() {
                return Err(remote("upload", format!("HTTP {status}")));
            }
            let body: UploadResponse = response.json().await.map_err(|e| remote("upload", e))?;
            if !body.secure_url.starts_with("https://") {
                return Err(remote("upload", "the returned URL is not https"));
            }
            Ok(body.secure_url)
        })
    }

    fn delete<'a>(&'a self, name: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // `destroy` names the image by its full public id, folder included.
            let params = self.signed(vec![("public_id", format!("{FOLDER}/{}", public_id(name)))]);
            let response = self
                .http
                .post(self.endpoint("destroy"))
                .form(&params)
                .send()
                .await
                .map_err(|e| remote("destroy", e))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(remote("destroy", format!("HTTP {}", response.status())))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::sign;

    /// The example from Cloudinary's signature documentation.
    #[test]
    fn matches_the_documented_example() {
        let params = [
            ("eager", "w_400,h_300,c_pad|w_260,h_200,c_crop".to_owned()),
            ("public_id", "sample_image".to_owned()),
            ("timestamp", "1315060510".to_owned()),
        ];
        assert_eq!(
            sign(&params, "abcd"),
            "bfd09f95f331f558cbd1320e67aa8d488770583e"
        );
    }
}
