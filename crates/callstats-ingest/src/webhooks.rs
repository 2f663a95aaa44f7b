//! Webhook delivery of conference summaries, and retention of raw samples.
//!
//! A summary to deliver is enqueued in the same transaction that closes the conference, so a
//! crash cannot lose it. Deliveries are claimed through the database with a lease, so with
//! several nodes each is attempted by one of them at a time. Each POST is signed:
//! `X-Callstats-Signature: sha256=<hex HMAC-SHA-256 of "<timestamp>.<body>">` under the app's
//! webhook secret, with the timestamp in `X-Callstats-Timestamp`, so the receiver can check both
//! origin and freshness. Failures are retried with exponential backoff and jitter, ten times over
//! about three hours, then marked failed; every attempt is visible in the API.

use std::time::Duration;

use callstats_store::{AppId, DeliveryAttempt, WebhookDelivery};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::new_app_secret;
use crate::{Ingest, IngestError};

/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: u32 = 10;
/// How long a claimed delivery is reserved for the node that claimed it.
const LEASE_MS: i64 = 60_000;
/// Per-request timeout.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Delay before attempt `n + 1` after `n` failures: 5 s · 2ⁿ, at most an hour, ±20 % jitter so
/// retries of many deliveries do not arrive together.
pub fn backoff_ms(failures: u32) -> i64 {
    let base = 5_000f64 * 2f64.powi(failures.min(20) as i32);
    let capped = base.min(3_600_000.0);
    let jitter = 0.8 + 0.4 * rand::random::<f64>();
    (capped * jitter) as i64
}

/// The signature header value for `body` sent at `timestamp_ms`.
pub fn signature(secret: &str, timestamp_ms: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp_ms}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Ingest {
    /// Sets (or with `None` clears) the app's webhook URL. Setting one creates a new signing
    /// secret, returned in clear this once.
    pub async fn set_webhook(&self, app: AppId, url: Option<String>) -> Result<Option<String>, IngestError> {
        let mut record =
            self.store.app(app).await?.ok_or_else(|| IngestError::NotFound(format!("unknown AppID {app}")))?;
        let secret = match &url {
            Some(u) => {
                if !(u.starts_with("https://") || u.starts_with("http://")) {
                    return Err(IngestError::BadRequest(format!("webhook URL `{u}` must be http(s)")));
                }
                let s = new_app_secret();
                record.webhook_secret_sealed = Some(self.key.seal(app, &s));
                Some(s)
            }
            None => {
                record.webhook_secret_sealed = None;
                None
            }
        };
        record.settings.webhook_url = url;
        self.store.update_app(&record).await?;
        self.directory_forget(app);
        Ok(secret)
    }

    /// An app's webhook deliveries, newest first.
    pub async fn webhook_deliveries(&self, app: AppId, limit: u32) -> Result<Vec<WebhookDelivery>, IngestError> {
        self.app(app).await?;
        Ok(self.store.deliveries(app, limit.clamp(1, 1000)).await?)
    }

    /// Attempts every delivery that is due now. Returns how many were attempted.
    pub async fn deliver_due(&self) -> Result<usize, IngestError> {
        let now = self.now_ms();
        let due = self.store.claim_deliveries(now, LEASE_MS, 50).await?;
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| IngestError::Config(format!("HTTP client: {e}")))?;
        let n = due.len();
        for d in due {
            let outcome = self.attempt(&client, &d).await;
            let at = self.now_ms();
            let failures = d.attempts + 1;
            let attempt = match outcome {
                Ok(status) if (200..300).contains(&status) => DeliveryAttempt {
                    id: d.id,
                    delivered: true,
                    give_up: false,
                    status: Some(status),
                    error: None,
                    next_attempt_at: at,
                    at,
                },
                other => {
                    let (status, error) = match other {
                        Ok(s) => (Some(s), format!("HTTP {s}")),
                        Err(e) => (None, e),
                    };
                    let give_up = failures >= MAX_ATTEMPTS;
                    tracing::warn!(app.id = d.app_id, conf.id = %d.conf_id, attempts = failures, give_up, error = %error, "webhook delivery failed");
                    DeliveryAttempt {
                        id: d.id,
                        delivered: false,
                        give_up,
                        status,
                        error: Some(error),
                        next_attempt_at: at + backoff_ms(d.attempts),
                        at,
                    }
                }
            };
            self.store.record_attempt(&attempt).await?;
        }
        Ok(n)
    }

    async fn attempt(&self, client: &reqwest::Client, d: &WebhookDelivery) -> Result<u16, String> {
        let app = self.app(d.app_id).await.map_err(|e| e.to_string())?;
        let sealed = app.webhook_secret_sealed.as_ref().ok_or("the app has no webhook secret")?;
        let secret = self.key.open(app.id, sealed).map_err(|e| e.to_string())?;
        let ts = self.now_ms();
        let resp = client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("x-callstats-timestamp", ts.to_string())
            .header("x-callstats-signature", signature(&secret, ts, &d.payload))
            .header("x-callstats-delivery", d.id.to_string())
            .body(d.payload.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(resp.status().as_u16())
    }

    /// Deletes raw stats samples past each app's retention. Returns how many.
    ///
    /// Retention is per app but time partitions (PostgreSQL) are shared: a partition is dropped
    /// only when it is older than every app's cutoff (so none when an app keeps everything), and
    /// the apps with a shorter retention have their rows deleted from the newer partitions.
    pub async fn apply_retention(&self) -> Result<u64, IngestError> {
        let now = self.now_ms();
        let mut total = 0;
        let apps = self.store.apps().await?;
        let cutoffs: Option<Vec<i64>> =
            apps.iter().map(|a| a.settings.retention_days.map(|d| now - i64::from(d) * 86_400_000)).collect();
        if let Some(oldest) = cutoffs.and_then(|c| c.into_iter().min()) {
            let dropped = self.store.drop_raw_partitions(oldest).await?;
            if dropped > 0 {
                tracing::info!(partitions = dropped, "retention dropped partitions of raw samples");
            }
        }
        for app in apps {
            if let Some(days) = app.settings.retention_days {
                let before = now - i64::from(days) * 86_400_000;
                let n = self.store.delete_raw_samples(app.id, before).await?;
                if n > 0 {
                    tracing::info!(app.id = app.id, deleted = n, "retention deleted raw samples");
                }
                total += n;
            }
        }
        Ok(total)
    }

    /// Whether this node runs the periodic job `name` (ticking every `every` on each node) this
    /// turn: the lease ends a second before the next tick, so whichever node ticks first after
    /// it runs the job, and the others skip that turn. A failure to ask is logged and means no.
    pub(crate) async fn my_turn(&self, name: &str, every: Duration) -> bool {
        let lease = i64::try_from(every.as_millis()).unwrap_or(i64::MAX).saturating_sub(1000).max(1000);
        match self.store.claim_job(name, self.now_ms(), lease).await {
            Ok(mine) => mine,
            Err(e) => {
                tracing::error!(error = %e, "claiming the {name} pass failed");
                false
            }
        }
    }

    /// Runs webhook delivery every `deliver_every` and retention every `retain_every` (one node
    /// at a time, see `my_turn`).
    pub async fn run_background(self: std::sync::Arc<Self>, deliver_every: Duration, retain_every: Duration) {
        let mut deliver = tokio::time::interval(deliver_every);
        let mut retain = tokio::time::interval(retain_every);
        deliver.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        retain.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = deliver.tick() => {
                    if let Err(e) = self.deliver_due().await {
                        tracing::error!(error = %e, "webhook delivery pass failed");
                    }
                }
                _ = retain.tick() => {
                    if self.my_turn("retention", retain_every).await
                        && let Err(e) = self.apply_retention().await
                    {
                        tracing::error!(error = %e, "retention pass failed");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for n in 0..15 {
            let b = backoff_ms(n);
            let nominal = (5_000f64 * 2f64.powi(n as i32)).min(3_600_000.0);
            assert!(b as f64 >= nominal * 0.8 - 1.0 && b as f64 <= nominal * 1.2 + 1.0, "{n}: {b}");
        }
    }

    #[test]
    fn signature_is_hmac_of_timestamp_and_body() {
        // Independently: HMAC-SHA256(key="k", "1.{}") computed with Python's hmac module.
        assert_eq!(signature("k", 1, "{}"), "sha256=3dd49b2593d0f9a349e9e71c4bde3e2b862c2be4003fe9b4ba81332029310158");
    }
}
