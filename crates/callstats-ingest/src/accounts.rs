//! Dashboard accounts and sessions.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults, which follow the OWASP
//! recommendation) off the async runtime, since a hash takes tens of milliseconds by design.
//! A session is a random 256-bit cookie value; only its SHA-256 is stored, so a copy of the
//! database cannot be replayed as a login. Each session carries its own CSRF token, which every
//! state-changing request made with the cookie must echo in `X-CSRF-Token`.

use std::net::IpAddr;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callstats_store::{Session, StoreError};
use sha2::{Digest, Sha256};
use tokio::sync::OwnedSemaphorePermit;

use crate::{Ingest, IngestError};

/// How long a dashboard session lasts.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

async fn hash_password(password: String) -> Result<String, IngestError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| IngestError::Config(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| IngestError::Config(format!("password hashing task: {e}")))?
}

/// A real hash to verify against when the user does not exist, so that the time a failed
/// sign-in takes does not reveal which names exist.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Verifies on a blocking thread, holding `permit` until the hash is done (even if the request
/// that asked is gone by then).
async fn verify_password(password: String, phc: Option<String>, permit: OwnedSemaphorePermit) -> bool {
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| {
            DUMMY_HASH
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    Argon2::default().hash_password(b"no such user", &salt).map(|h| h.to_string()).unwrap_or_default()
                })
                .clone()
        });
        let ok =
            PasswordHash::new(&phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// A successful sign-in: the cookie value to set and the session it opens.
#[derive(Debug)]
pub struct SignIn {
    /// The cookie value (shown to the browser only).
    pub token: String,
    /// The session.
    pub session: Session,
}

impl Ingest {
    /// Creates a dashboard account. Without a password, one is generated; the password is
    /// returned so it can be shown once.
    pub async fn create_user(&self, username: &str, password: Option<&str>) -> Result<String, IngestError> {
        if username.trim().is_empty() || username.len() > 64 {
            return Err(IngestError::BadRequest("username must be 1–64 characters".into()));
        }
        let password = match password {
            Some(p) if p.len() < 10 => {
                return Err(IngestError::BadRequest("password must be at least 10 characters".into()));
            }
            Some(p) => p.to_owned(),
            None => random_token()[..20].to_owned(),
        };
        let hash = hash_password(password.clone()).await?;
        match self.store.create_user(username, &hash, self.now_ms()).await {
            Ok(_) => Ok(password),
            Err(StoreError::Conflict(_)) => Err(IngestError::BadRequest(format!("user `{username}` already exists"))),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a password (ending the account's sessions).
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), IngestError> {
        if password.len() < 10 {
            return Err(IngestError::BadRequest("password must be at least 10 characters".into()));
        }
        let hash = hash_password(password.to_owned()).await?;
        Ok(self.store.set_password(username, &hash).await?)
    }

    /// On the very first start, creates the `admin` account and returns its password.
    pub async fn ensure_first_admin(&self) -> Result<Option<(String, String)>, IngestError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        match self.create_user("admin", None).await {
            Ok(password) => Ok(Some(("admin".into(), password))),
            Err(e) => {
                // Another node starting on the same database at the same moment created it first.
                if self.store.user_count().await? > 0 { Ok(None) } else { Err(e) }
            }
        }
    }

    /// Checks credentials and opens a session, for a client at `ip`. Refused 429 while the
    /// account or the IP is in its delay after repeated failures, or when the hashes that may
    /// run at once are all running (see `throttle`).
    pub async fn sign_in(&self, username: &str, password: &str, ip: Option<IpAddr>) -> Result<SignIn, IngestError> {
        let refused = || IngestError::Unauthorized("wrong username or password".into());
        self.throttles.check_sign_in(username, ip, self.now_ms())?;
        let permit = self.throttles.hash_permit()?;
        let user = self.store.user(username).await?;
        let ok = verify_password(password.to_owned(), user.as_ref().map(|u| u.password_hash.clone()), permit).await;
        self.throttles.signed_in(username, ip, ok, self.now_ms());
        let user = user.filter(|_| ok).ok_or_else(refused)?;
        let token = random_token();
        let csrf = random_token();
        let now = self.now_ms();
        let expires = now + SESSION_TTL_MS;
        self.store.create_session(&hash_token(&token), user.id, &csrf, now, expires).await?;
        Ok(SignIn {
            token,
            session: Session { user_id: user.id, username: user.username, csrf_token: csrf, expires_at: expires },
        })
    }

    /// The live session behind a cookie value.
    pub async fn session(&self, token: &str) -> Result<Session, IngestError> {
        self.store
            .session(&hash_token(token), self.now_ms())
            .await?
            .ok_or_else(|| IngestError::Unauthorized("the session has ended; sign in again".into()))
    }

    /// Ends a session.
    pub async fn sign_out(&self, token: &str) -> Result<(), IngestError> {
        Ok(self.store.delete_session(&hash_token(token)).await?)
    }
}
