//! Signed ticket passes: what a ticket's QR code carries. `TX1.` and the base64url of
//! version (1), the event key's index, the ticket's code (20 bytes), its issue number and an
//! Ed25519 signature over those 24 bytes by the event's key: 122 characters, a version 7 QR
//! code at level M. A door that holds the event's public keys can tell a real ticket from a
//! forged one without asking the server. A bare 32-character code (tickets issued before
//! passes) still checks in online.
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

pub const PREFIX: &str = "TX1.";
const VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 24;
const CODE_BYTES: usize = 20;
/// Crockford's base32, as ticket codes are written.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassError {
    #[error("This is not a TickEx ticket.")]
    Unreadable,
    #[error("This ticket's signature is not valid: it was altered or forged.")]
    BadSignature,
    #[error("This ticket was signed with a key this event does not know.")]
    UnknownKey,
}

/// A new key pair: the secret (kept on the server) and the public key (given to doors).
pub fn new_key_pair() -> ([u8; 32], [u8; 32]) {
    let secret: [u8; 32] = rand::random();
    let public = SigningKey::from_bytes(&secret).verifying_key().to_bytes();
    (secret, public)
}

/// The pass text of a ticket: deterministic, so the same ticket always shows the same code.
pub fn sign(code: &str, issue: u16, key_index: u8, secret: &[u8; 32]) -> Result<String, PassError> {
    let mut bytes = Vec::with_capacity(PAYLOAD_LEN + 64);
    bytes.push(VERSION);
    bytes.push(key_index);
    bytes.extend_from_slice(&code_bytes(code)?);
    bytes.extend_from_slice(&issue.to_be_bytes());
    let signature = SigningKey::from_bytes(secret).sign(&bytes);
    bytes.extend_from_slice(&signature.to_bytes());
    Ok(format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// What a door scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    /// A signed pass, not yet verified.
    Pass(Pass),
    /// A bare ticket code (issued before passes, or typed in by hand).
    Code(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub key_index: u8,
    pub code: String,
    pub issue: u16,
    payload: [u8; PAYLOAD_LEN],
    signature: [u8; 64],
}

impl Pass {
    /// Checks the signature against the event's public key with this pass's index.
    pub fn verify(&self, keys: &[(u8, [u8; 32])]) -> Result<(), PassError> {
        let (_, public) = keys
            .iter()
            .find(|(index, _)| *index == self.key_index)
            .ok_or(PassError::UnknownKey)?;
        let key = VerifyingKey::from_bytes(public).map_err(|_| PassError::UnknownKey)?;
        key.verify(&self.payload, &Signature::from_bytes(&self.signature))
            .map_err(|_| PassError::BadSignature)
    }
}

/// Reads scanned text: a pass, or a bare code (spaces and case forgiven, as typed at a door).
pub fn read(text: &str) -> Result<Scanned, PassError> {
    let text = text.trim();
    if let Some(body) = text.strip_prefix(PREFIX) {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| PassError::Unreadable)?;
        if bytes.len() != PAYLOAD_LEN + 64 || bytes[0] != VERSION {
            return Err(PassError::Unreadable);
        }
        let mut payload = [0u8; PAYLOAD_LEN];
        payload.copy_from_slice(&bytes[..PAYLOAD_LEN]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[PAYLOAD_LEN..]);
        let code_end = 2 + CODE_BYTES;
        return Ok(Scanned::Pass(Pass {
            key_index: payload[1],
            code: code_text(&payload[2..code_end]),
            issue: u16::from_be_bytes([payload[code_end], payload[code_end + 1]]),
            payload,
            signature,
        }));
    }
    let code: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.len() == 32 && code.bytes().all(|b| ALPHABET.contains(&b)) {
        Ok(Scanned::Code(code))
    } else {
        Err(PassError::Unreadable)
    }
}

/// A 32-character code as its 20 bytes (5 bits a character).
fn code_bytes(code: &str) -> Result<[u8; CODE_BYTES], PassError> {
    if code.len() != 32 {
        return Err(PassError::Unreadable);
    }
    let mut bits: u64 = 0;
    let mut held = 0;
    let mut out = [0u8; CODE_BYTES];
    let mut at = 0;
    for byte in code.bytes() {
        let value = ALPHABET
            .iter()
            .position(|c| *c == byte)
            .ok_or(PassError::Unreadable)? as u64;
        bits = (bits << 5) | value;
        held += 5;
        if held >= 8 {
            held -= 8;
            out[at] = (bits >> held) as u8;
            at += 1;
        }
    }
    Ok(out)
}

fn code_text(bytes: &[u8]) -> String {
    let mut bits: u64 = 0;
    let mut held = 0;
    let mut out = String::with_capacity(32);
    for byte in bytes {
        bits = (bits << 8) | u64::from(*byte);
        held += 8;
        while held >= 5 {
            held -= 5;
            out.push(ALPHABET[((bits >> held) & 31) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CODE: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    fn pass_of(text: &str) -> Pass {
        match read(text).unwrap() {
            Scanned::Pass(pass) => pass,
            other => panic!("not a pass: {other:?}"),
        }
    }

    #[test]
    fn a_signed_pass_verifies_with_its_events_key_only() {
        let (secret, public) = new_key_pair();
        let text = sign(CODE, 1, 0, &secret).unwrap();
        assert!(text.starts_with(PREFIX));
        assert_eq!(text.len(), PREFIX.len() + 118);
        assert_eq!(text, sign(CODE, 1, 0, &secret).unwrap(), "deterministic");
        let pass = pass_of(&text);
        assert_eq!(
            (pass.code.as_str(), pass.issue, pass.key_index),
            (CODE, 1, 0)
        );
        assert_eq!(pass.verify(&[(0, public)]), Ok(()));
        // Another event's key, or a key index the event does not have.
        let (_, other) = new_key_pair();
        assert_eq!(pass.verify(&[(0, other)]), Err(PassError::BadSignature));
        assert_eq!(pass.verify(&[(1, public)]), Err(PassError::UnknownKey));
        // A rotated event keeps its old key: both verify.
        let (new_secret, new_public) = new_key_pair();
        let newer = pass_of(&sign(CODE, 2, 1, &new_secret).unwrap());
        let keys = [(0, public), (1, new_public)];
        assert_eq!((pass.verify(&keys), newer.verify(&keys)), (Ok(()), Ok(())));
    }

    #[test]
    fn a_tampered_pass_is_refused() {
        let (secret, public) = new_key_pair();
        let text = sign(CODE, 1, 0, &secret).unwrap();
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&text[PREFIX.len()..])
            .unwrap();
        // A later issue number (the ticket was re-issued) with the old signature.
        bytes[23] ^= 1;
        let forged = format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes)
        );
        assert_eq!(
            pass_of(&forged).verify(&[(0, public)]),
            Err(PassError::BadSignature)
        );
        assert_eq!(read("TX1.short"), Err(PassError::Unreadable));
        assert_eq!(read("hello"), Err(PassError::Unreadable));
    }

    #[test]
    fn an_old_bare_code_still_reads_as_typed() {
        assert_eq!(read(CODE), Ok(Scanned::Code(CODE.into())));
        let typed = "0123 4567 89ab cdef ghjk mnpq rstv wxyz";
        assert_eq!(read(typed), Ok(Scanned::Code(CODE.into())));
        assert_eq!(
            read("0123456789ABCDEFGHJKMNPQRSTVWXYI"),
            Err(PassError::Unreadable)
        );
    }

    proptest! {
        /// Every ticket code survives the 20-byte packing.
        #[test]
        fn codes_pack_and_unpack(code in "[0-9A-HJKMNP-TV-Z]{32}", issue in any::<u16>()) {
            let (secret, public) = new_key_pair();
            let pass = pass_of(&sign(&code, issue, 3, &secret).unwrap());
            prop_assert_eq!(&pass.code, &code);
            prop_assert_eq!(pass.issue, issue);
            prop_assert_eq!(pass.verify(&[(3, public)]), Ok(()));
        }
    }
}
