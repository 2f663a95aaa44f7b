//! Webhook delivery of conference summaries, and retention of raw samples.
//!
//! A summary to deliver is enqueued in the same transaction that closes the conference, so a
//! crash cannot lose it. Deliveries are claimed through the database with a lease, so with
//! several nodes each is attempted by one of them at a time. Each POST is signed:
//! `X-Callstats-Signature: sha256=<hex HMAC-SHA-256 of "<timestamp>.<body>">` under the app's
//! webhook secret, with the timestamp in `X-Callstats-Timestamp`, so the receiver can check both
//! origin and freshness. Failures are retried with exponential backoff and jitter, ten times over
//! about three hours, then marked failed; every attempt is visible in the API.
//!
//! Whoever can set an app's webhook can make this server send POSTs, so by default a delivery
//! reaches public addresses only: the URL's host is resolved at each attempt, every address it
//! resolves to must be public (not loopback, private, link-local, unique-local, CGNAT,
//! multicast or unspecified, also inside IPv4-mapped IPv6), and the connection is pinned to the
//! addresses checked, so a name cannot resolve to a public address for the check and a private
//! one for the POST. Redirects are not followed (a 3xx is a failed attempt). Receivers on the
//! operator's own network are allowed with `serve --allow-private-webhooks`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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

/// Whether a webhook may not reach `ip` by default: anything but a public unicast address.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private_v4(v4),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
                    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
                    || embedded_v4(v6).is_some_and(is_private_v4)
            }
        },
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // Shared address space (CGNAT), 100.64.0.0/10; reserved 240.0.0.0/4.
        || (a == 100 && (64..128).contains(&b))
        || a >= 240
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

/// The addresses a delivery to `url` may connect to, with the host name to pin them to; an
/// error says why none may be used.
async fn target(url: &reqwest::Url, allow_private: bool) -> Result<(String, Vec<SocketAddr>), String> {
    let port = url.port_or_known_default().ok_or("the webhook URL has no port")?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(name)) => {
            tokio::net::lookup_host((name, port)).await.map_err(|e| format!("resolving {name}: {e}"))?.collect()
        }
        None => return Err("the webhook URL has no host".into()),
    };
    if addrs.is_empty() {
        return Err("the webhook host resolves to no address".into());
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
        return Err(format!(
            "{} resolves to {}, which is not a public address (serve --allow-private-webhooks allows it)",
            url.host_str().unwrap_or_default(),
            bad.ip()
        ));
    }
    Ok((url.host_str().unwrap_or_default().to_owned(), addrs))
}

/// A webhook URL parsed fully: http(s), with a host, without credentials.
pub fn parse_url(u: &str) -> Result<reqwest::Url, IngestError> {
    let url = reqwest::Url::parse(u).map_err(|e| IngestError::BadRequest(format!("webhook URL `{u}`: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(IngestError::BadRequest(format!("webhook URL `{u}` must be http(s) with a host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(IngestError::BadRequest("a webhook URL may not carry credentials".into()));
    }
    Ok(url)
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
                parse_url(u)?;
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
        let n = due.len();
        for d in due {
            let outcome = self.attempt(&d).await;
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

    async fn attempt(&self, d: &WebhookDelivery) -> Result<u16, String> {
        let app = self.app(d.app_id).await.map_err(|e| e.to_string())?;
        let sealed = app.webhook_secret_sealed.as_ref().ok_or("the app has no webhook secret")?;
        let secret = self.key.open(app.id, sealed).map_err(|e| e.to_string())?;
        let url = parse_url(&d.url).map_err(|e| e.to_string())?;
        let (host, addrs) = target(&url, self.private_webhooks).await?;
        // Pinned to the addresses just checked; a literal address needs no resolving anyway.
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .resolve_to_addrs(&host, &addrs)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let ts = self.now_ms();
        let resp = client
            .post(url)
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
    fn only_public_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:192.168.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in
            ["93.184.216.34", "1.1.1.1", "100.128.0.1", "2606:4700::1111", "::ffff:1.1.1.1", "2002:101:101::1"]
        {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

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
