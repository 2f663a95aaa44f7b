//! Importing recorded requests: moving history from another collector, seeding a dashboard,
//! or replaying captured traffic. Records are applied through the same validation and storage
//! path as live requests, with their original receive time, but without access tokens (the CLI
//! that imports has the database already).
//!
//! Receive times from the past make a conference look idle from its first record, so a server
//! running on the same database would close it half-imported (and send its webhook). The
//! importer therefore holds every conference it writes from the closer, with the closer's own
//! lease, renewed while it writes and handed back by [`Importer::finish`]; an importer that dies
//! leaves a hold that runs out within a minute.

use std::collections::HashMap;

use callstats_store::{AppId, Write};
use serde::Deserialize;
use serde_json::Value;

use crate::analysis::CLOSE_LEASE_MS;
use crate::collect::Submitter;
use crate::{Ingest, IngestError};

/// One recorded request.
#[derive(Debug, Clone, Deserialize)]
pub struct ImportRecord {
    /// Path as sent: `/v1/apps/{appID}/conferences/{confID}` (user joined) or
    /// `/v1/apps/{appID}/conferences/{confID}/{ucID}/…`, with `confID` percent-encoded. The
    /// recorder prefixes `/events` and `/stats` (the wire fixtures' format) are accepted.
    pub path: String,
    /// The JSON body (`body_json` in the wire fixtures).
    #[serde(alias = "body_json")]
    pub body: Value,
    /// Receive time, epoch ms; the body's `timestamp` when absent.
    #[serde(default, rename = "receivedAt")]
    pub received_at: Option<i64>,
    /// For a user joined: the country the recording proxy reported (ISO 3166-1 alpha-2), as
    /// `serve --country-header` would have read it.
    #[serde(default)]
    pub country: Option<String>,
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// A participant joined, under this new ucID.
    Joined(String),
    /// A submission was stored.
    Stored,
    /// Not a conference request (auth, clock sync, generics…): nothing to import.
    Skipped,
}

/// Imports records into one app, mapping the recorded ucIDs to new ones.
pub struct Importer<'a> {
    ingest: &'a Ingest,
    app: AppId,
    /// (conference, local user) → new ucID, from the joins imported so far.
    joined: HashMap<(String, String), String>,
    /// recorded ucID → new ucID.
    ucids: HashMap<String, String>,
    /// Conferences held from the closer → until when (service clock, epoch ms).
    held: HashMap<String, i64>,
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

impl<'a> Importer<'a> {
    /// An importer into `app`.
    pub fn new(ingest: &'a Ingest, app: AppId) -> Self {
        Importer { ingest, app, joined: HashMap::new(), ucids: HashMap::new(), held: HashMap::new() }
    }

    /// Imports one record.
    pub async fn import(&mut self, rec: &ImportRecord) -> Result<Imported, IngestError> {
        let path = rec.path.strip_prefix("/events").or_else(|| rec.path.strip_prefix("/stats")).unwrap_or(&rec.path);
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if parts.len() < 5 || parts[0] != "v1" || parts[1] != "apps" || parts[3] != "conferences" {
            return Ok(Imported::Skipped);
        }
        let conf = decode(parts[4]);
        let body = serde_json::to_vec(&rec.body).expect("a JSON value serialises");
        self.ingest.check_body(&body)?;
        let at = rec
            .received_at
            .or_else(|| rec.body.get("timestamp").and_then(Value::as_f64).map(|t| t as i64))
            .unwrap_or_else(|| self.ingest.now_ms());
        let user = rec.body.get("localID").and_then(Value::as_str).unwrap_or_default().to_owned();
        if parts.len() == 5 {
            let country = rec.country.as_deref().and_then(crate::country_code);
            let hold = self.renewal(&conf);
            let uc = self.ingest.join_at(Submitter::any_user(self.app), &conf, &body, at, country, hold).await?;
            if let Some(until) = hold {
                self.held.insert(conf.clone(), until);
            }
            self.joined.insert((conf, user), uc.clone());
            return Ok(Imported::Joined(uc));
        }
        let recorded = parts[5];
        let uc = match self.ucids.get(recorded) {
            Some(uc) => uc.clone(),
            None => {
                let uc = self.joined.get(&(conf.clone(), user)).cloned().ok_or_else(|| {
                    IngestError::BadRequest(format!("record for ucID {recorded} comes before its user joined"))
                })?;
                self.ucids.insert(recorded.to_owned(), uc.clone());
                uc
            }
        };
        if let Some(until_ms) = self.renewal(&conf) {
            let hold = Write::Hold { app_id: self.app, conf_id: conf.clone(), until_ms };
            self.ingest.store.write(vec![hold]).await?;
            self.held.insert(conf.clone(), until_ms);
        }
        let route = parts[6..].join("/");
        self.ingest.accept_at(Submitter::any_user(self.app), &conf, &uc, &route, &body, at).await?;
        Ok(Imported::Stored)
    }

    /// Until when to hold `conf` if its hold is missing or half gone, else `None`.
    fn renewal(&self, conf: &str) -> Option<i64> {
        let now = self.ingest.now_ms();
        match self.held.get(conf) {
            Some(until) if until - now > CLOSE_LEASE_MS / 2 => None,
            _ => Some(now + CLOSE_LEASE_MS),
        }
    }

    /// Hands the conferences written back to the closer, which then closes each as it would any
    /// other: when everyone left, or 30 s after its last measurement (long past for history).
    pub async fn finish(self) -> Result<(), IngestError> {
        for conf in self.held.keys() {
            self.ingest.store.release_conference(self.app, conf).await?;
        }
        Ok(())
    }
}
