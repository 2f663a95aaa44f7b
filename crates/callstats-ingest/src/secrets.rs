//! The server key and what it protects.
//!
//! The AppSecret flow has the browser sign its `code` JWT with HMAC keyed by the secret itself, so
//! the server must be able to recover the secret; a one-way hash cannot work. Secrets are
//! therefore sealed with ChaCha20-Poly1305 under a 256-bit server key that lives outside the
//! database (a file beside it, mode 0600, or a path given in the config). A copy of the database
//! alone reveals no secret; the app ID is bound in as associated data so a sealed secret cannot
//! be moved to another app. Separate keys for signing access tokens are derived from the server
//! key with HMAC-SHA-256 and a label, so no key is used for two purposes.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::IngestError;

/// The 256-bit root secret of a deployment. Every node sharing a database must use the same one.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

impl ServerKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        ServerKey(rand::random())
    }

    /// Reads the key file (base64 of 32 bytes), creating it with a fresh key when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, IngestError> {
        let io = |what: &str, e: std::io::Error| IngestError::Config(format!("{what} {}: {e}", path.display()));
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = STANDARD
                    .decode(text.trim())
                    .map_err(|e| IngestError::Config(format!("server key {} is not base64: {e}", path.display())))?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| {
                    IngestError::Config(format!("server key {} must hold exactly 32 bytes", path.display()))
                })?;
                Ok(ServerKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = ServerKey::generate();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| io("create directory for", e))?;
                }
                write_private(path, &STANDARD.encode(key.0)).map_err(|e| io("write server key", e))?;
                tracing::info!(path = %path.display(), "created a new server key");
                Ok(key)
            }
            Err(e) => Err(io("read server key", e)),
        }
    }

    /// A key for one purpose, derived from the root key.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.derive("callstats app-secret sealing v1")))
    }

    /// Seals an app secret for storage: nonce ‖ ciphertext.
    pub fn seal(&self, app_id: i64, secret: &str) -> Vec<u8> {
        let nonce: [u8; 12] = rand::random();
        let aad = app_id.to_be_bytes();
        let ct = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: &aad })
            .expect("ChaCha20-Poly1305 encryption of a short secret cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    /// Opens a sealed app secret. Fails when the server key is not the one that sealed it.
    pub fn open(&self, app_id: i64, sealed: &[u8]) -> Result<String, IngestError> {
        let wrong = || {
            IngestError::Config(format!(
                "the secret of app {app_id} cannot be opened with this server key (was the key file replaced?)"
            ))
        };
        if sealed.len() < 12 {
            return Err(wrong());
        }
        let (nonce, ct) = sealed.split_at(12);
        let aad = app_id.to_be_bytes();
        let plain =
            self.cipher().decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad }).map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// A new AppSecret: 32 random bytes, base64url. No `:` (which callstats-js would read as the
/// key-ID form), no spaces or quotes.
pub fn new_app_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let k = ServerKey::generate();
        let sealed = k.seal(7, "s3cret");
        assert_eq!(k.open(7, &sealed).unwrap(), "s3cret");
        assert!(k.open(8, &sealed).is_err(), "sealed secret must be bound to its app");
        assert!(ServerKey::generate().open(7, &sealed).is_err(), "another key must not open it");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
    }

    #[test]
    fn key_file_is_created_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/server.key");
        let a = ServerKey::load_or_create(&path).unwrap();
        let b = ServerKey::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0);
        std::fs::write(&path, "short").unwrap();
        assert!(ServerKey::load_or_create(&path).is_err());
    }

    #[test]
    fn secrets_are_safe_for_the_client() {
        let s = new_app_secret();
        assert!(s.len() >= 43 && !s.contains([':', ' ', '"', '\'']));
    }
}
