//! Apps, their keys and admin tokens: management operations and the short-lived caches the hot
//! path reads through.
//!
//! Every request needs its app (origins, settings). Reading it from the database each time would
//! double the work of a stats submission, so apps are cached for `Limits::app_cache_ttl`; a miss
//! always goes to the store, which is why an app created by the CLI is accepted at once, and a
//! changed setting applies within the TTL on every node.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callstats_store::{App, AppId, AppKey, AppSettings, StoreError};
use sha2::{Digest, Sha256};

use crate::secrets::new_app_secret;
use crate::{Ingest, IngestError};

/// Participants cached at most; the cache is cleared when it grows past this.
const PARTICIPANT_CACHE: usize = 200_000;

/// Where a participant (ucID) belongs, and whose it is.
#[derive(Debug, Clone)]
pub(crate) struct Home {
    pub app: AppId,
    pub conf: String,
    pub user: String,
}

pub(crate) struct Directory {
    ttl: Duration,
    apps: Mutex<HashMap<AppId, (Arc<App>, Instant)>>,
    /// ucID → its app, conference and user; participants never move, so entries never go stale.
    participants: Mutex<HashMap<String, Home>>,
    admin: Mutex<HashSet<[u8; 32]>>,
}

impl Directory {
    pub(crate) fn new(ttl: Duration) -> Self {
        Directory {
            ttl,
            apps: Mutex::new(HashMap::new()),
            participants: Mutex::new(HashMap::new()),
            admin: Mutex::new(HashSet::new()),
        }
    }

    pub(crate) fn remember_participant(&self, uc: &str, home: Home) {
        let mut map = self.participants.lock().expect("participant cache lock");
        if map.len() >= PARTICIPANT_CACHE {
            map.clear();
        }
        map.insert(uc.to_owned(), home);
    }

    fn forget_app(&self, id: AppId) {
        self.apps.lock().expect("app cache lock").remove(&id);
    }
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Ingest {
    /// An app, through the cache.
    pub async fn app(&self, id: AppId) -> Result<Arc<App>, IngestError> {
        if let Some((app, at)) = self.directory.apps.lock().expect("app cache lock").get(&id)
            && at.elapsed() < self.directory.ttl
        {
            return Ok(Arc::clone(app));
        }
        let app =
            Arc::new(self.store.app(id).await?.ok_or_else(|| IngestError::NotFound(format!("unknown AppID {id}")))?);
        self.directory.apps.lock().expect("app cache lock").insert(id, (Arc::clone(&app), Instant::now()));
        Ok(app)
    }

    /// Where a ucID belongs, through the cache.
    pub(crate) async fn participant_home(&self, uc: &str) -> Result<Option<Home>, IngestError> {
        if let Some(home) = self.directory.participants.lock().expect("participant cache lock").get(uc) {
            return Ok(Some(home.clone()));
        }
        let Some(p) = self.store.participant(uc).await? else { return Ok(None) };
        let home = Home { app: p.app_id, conf: p.conf_id, user: p.user_id };
        self.directory.remember_participant(uc, home.clone());
        Ok(Some(home))
    }

    /// Creates an app with a fresh numeric ID and secret; returns it and the secret in clear
    /// (the only time it is shown).
    pub async fn create_app(&self, name: &str) -> Result<(App, String), IngestError> {
        let secret = new_app_secret();
        for _ in 0..8 {
            // Nine digits: numeric as callstats-js needs, and not guessable by counting.
            let id: AppId = rand::random_range(100_000_000..1_000_000_000);
            let app = App {
                id,
                name: name.to_owned(),
                secret_sealed: self.key.seal(id, &secret),
                origins: Vec::new(),
                settings: AppSettings::default(),
                created_at_ms: self.now_ms(),
                webhook_secret_sealed: None,
            };
            match self.store.create_app(&app).await {
                Ok(()) => return Ok((app, secret)),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IngestError::Unavailable("could not find a free AppID".into()))
    }

    /// Replaces an app's secret; returns the new one. Tokens already issued stay valid until
    /// they expire (they are signed by the server, not by the secret).
    pub async fn rotate_secret(&self, id: AppId) -> Result<String, IngestError> {
        let mut app = self.store.app(id).await?.ok_or_else(|| IngestError::NotFound(format!("unknown AppID {id}")))?;
        let secret = new_app_secret();
        app.secret_sealed = self.key.seal(id, &secret);
        self.store.update_app(&app).await?;
        self.directory.forget_app(id);
        Ok(secret)
    }

    /// The app's secret in clear (for the CLI and dashboard owner).
    pub async fn app_secret(&self, id: AppId) -> Result<String, IngestError> {
        let app = self.app(id).await?;
        self.key.open(app.id, &app.secret_sealed)
    }

    /// Registers a third-party public key (ES256, PEM).
    pub async fn add_app_key(&self, id: AppId, key_id: &str, pem: &str) -> Result<(), IngestError> {
        self.app(id).await?;
        if key_id.is_empty() {
            return Err(IngestError::BadRequest("key ID must not be empty".into()));
        }
        jsonwebtoken::DecodingKey::from_ec_pem(pem.as_bytes())
            .map_err(|e| IngestError::BadRequest(format!("not an EC public key in PEM: {e}")))?;
        let key = AppKey {
            app_id: id,
            key_id: key_id.to_owned(),
            algorithm: "ES256".into(),
            public_key_pem: pem.to_owned(),
            created_at_ms: self.now_ms(),
        };
        self.store.add_app_key(&key).await.map_err(|e| match e {
            StoreError::Conflict(_) => IngestError::BadRequest(format!("key ID `{key_id}` is already registered")),
            e => e.into(),
        })
    }

    /// Replaces the app's origin allow-list (empty: any origin).
    pub async fn set_origins(&self, id: AppId, origins: Vec<String>) -> Result<(), IngestError> {
        for o in &origins {
            if !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/') {
                return Err(IngestError::BadRequest(format!(
                    "origin `{o}` must look like https://host[:port], without a path"
                )));
            }
        }
        let mut app = self.store.app(id).await?.ok_or_else(|| IngestError::NotFound(format!("unknown AppID {id}")))?;
        app.origins = origins;
        self.store.update_app(&app).await?;
        self.directory.forget_app(id);
        Ok(())
    }

    /// Replaces the app's settings.
    pub async fn set_settings(&self, id: AppId, settings: AppSettings) -> Result<(), IngestError> {
        let mut app = self.store.app(id).await?.ok_or_else(|| IngestError::NotFound(format!("unknown AppID {id}")))?;
        app.settings = settings;
        self.store.update_app(&app).await?;
        self.directory.forget_app(id);
        Ok(())
    }

    pub(crate) fn directory_forget(&self, id: AppId) {
        self.directory.forget_app(id);
    }

    /// Creates an admin API token and returns it (only its hash is stored).
    pub async fn create_admin_token(&self, label: &str) -> Result<String, IngestError> {
        use base64::Engine;
        let token =
            format!("csa_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()));
        self.store.add_admin_token(&token_hash(&token), label).await?;
        Ok(token)
    }

    /// Checks an admin API token.
    pub async fn check_admin(&self, token: Option<&str>) -> Result<(), IngestError> {
        let token = token.ok_or_else(|| IngestError::Unauthorized("an admin token is required".into()))?;
        let hash = token_hash(token);
        if self.directory.admin.lock().expect("admin cache lock").contains(&hash) {
            return Ok(());
        }
        if self.store.admin_token_exists(&hash).await? {
            self.directory.admin.lock().expect("admin cache lock").insert(hash);
            Ok(())
        } else {
            Err(IngestError::Unauthorized("unknown admin token".into()))
        }
    }
}

/// Checks a settings document before it is stored; the message names the offending field.
fn validate_settings(s: &AppSettings) -> Result<(), IngestError> {
    let bad = |m: String| Err(IngestError::BadRequest(m));
    if !(1_000..=60_000).contains(&s.submission_interval_ms) {
        return bad("submissionIntervalMs must be between 1000 and 60000".into());
    }
    if !(60..=86_400).contains(&s.token_ttl_secs) {
        return bad("tokenTtlSecs must be between 60 and 86400".into());
    }
    for (name, config) in [("defaultConfig", &s.default_config), ("recommendedConfig", &s.recommended_config)] {
        let Some(config) = config else { continue };
        let Some(obj) = config.as_object() else { return bad(format!("{name} must be an object")) };
        for (k, v) in obj {
            if k != "peerConnection" && k != "media" {
                return bad(format!("{name}.{k} is not known (use peerConnection and media)"));
            }
            if !(v.is_object() || v.is_null()) {
                return bad(format!("{name}.{k} must be an object"));
            }
        }
    }
    if let Some(unknown) =
        s.ingested_events.iter().find(|e| !callstats_protocol::ALL_INGESTED_EVENTS.contains(&e.as_str()))
    {
        return bad(format!("ingestedEvents: `{unknown}` is not a gated event type"));
    }
    if s.retention_days == Some(0) {
        return bad("retentionDays must be at least 1".into());
    }
    if let Some(problem) = s.alerts.problem() {
        return bad(problem);
    }
    Ok(())
}

impl Ingest {
    /// Applies a JSON merge patch (RFC 7396) to the app's settings, validates and stores them.
    /// The webhook URL is set through `set_webhook`, which also creates its secret.
    pub async fn patch_settings(&self, id: AppId, patch: &serde_json::Value) -> Result<AppSettings, IngestError> {
        let app = self.store.app(id).await?.ok_or_else(|| IngestError::NotFound(format!("unknown AppID {id}")))?;
        let patch =
            patch.as_object().ok_or_else(|| IngestError::BadRequest("settings patch must be an object".into()))?;
        if patch.contains_key("webhookUrl") {
            return Err(IngestError::BadRequest(
                "webhookUrl is set with the webhook endpoint, which creates its secret".into(),
            ));
        }
        let mut doc = serde_json::to_value(&app.settings).expect("settings serialise");
        merge(&mut doc, &serde_json::Value::Object(patch.clone()));
        let settings: AppSettings =
            serde_json::from_value(doc).map_err(|e| IngestError::BadRequest(format!("settings: {e}")))?;
        validate_settings(&settings)?;
        self.set_settings(id, settings.clone()).await?;
        Ok(settings)
    }
}

fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}
