//! The write path: authorise, validate, normalise, compress, commit.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use callstats_protocol::ProtocolError;
use callstats_protocol::auth::{AccessClaims, AuthForm, TokenReply, auth_error_body};
use callstats_protocol::catalogue::{self, Category, KindSpec};
use callstats_protocol::compact::{self, CompactBody, CompactError, CompactStream};
use callstats_protocol::envelope::Envelope;
use callstats_protocol::envelope::{self, ParsedBody};
use callstats_protocol::uri::encode_uri_component;
use callstats_store::codec;
use callstats_store::{App, AppId, Participant, Submission, SubmissionKind, Write};
use serde_json::Value;

use crate::auth::{AccessRefusal, AuthRefusal, parse_form, verify_code};
use crate::directory::Home;
use crate::{Caller, Ingest, IngestError};

/// What `/authenticate` answers: a token, or a refusal with the body callstats-js understands.
pub type AuthOutcome = Result<TokenReply, (AuthRefusal, Value)>;

/// Items one batch request may carry.
pub const MAX_BATCH_ITEMS: usize = 200;

/// Resolved streams of recent compact stats submissions, per participant and fabric: the bases
/// later deltas name. Memory only, by design: a base this node does not hold (a restart, another
/// node, an eviction) is answered `KeyframeRequired` and the SDK sends a keyframe, so nothing
/// here needs to be durable or shared, and evicting is always safe. Bounded by bytes, since a
/// keyframe may carry thousands of streams: the bases of one fabric by
/// `Limits::compact_base_bytes_per_fabric` (a larger keyframe is stored but not kept as a base),
/// all of them by `Limits::compact_base_bytes`, evicting the fabrics that came first.
pub(crate) struct CompactBases {
    held: Mutex<Bases>,
    max_fabric_bytes: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct Bases {
    fabrics: HashMap<(String, String), Held>,
    /// Fabrics in the order they were first held, for eviction.
    order: VecDeque<(String, String)>,
    bytes: usize,
}

/// The resolved streams of a fabric's latest submissions, by seq, oldest first, with their sizes.
#[derive(Default)]
struct Held {
    bases: VecDeque<(u64, Arc<Vec<CompactStream>>, usize)>,
    bytes: usize,
}

/// Bases kept per fabric: the SDK deltas against its latest acknowledged submission, and at most
/// a few are in flight.
const BASES_PER_FABRIC: usize = 4;
/// Fabrics held at most, whatever their size.
const MAX_FABRICS: usize = 100_000;

impl CompactBases {
    pub(crate) fn new(limits: &crate::Limits) -> Self {
        CompactBases {
            held: Mutex::default(),
            max_fabric_bytes: limits.compact_base_bytes_per_fabric,
            max_bytes: limits.compact_base_bytes,
        }
    }

    fn get(&self, uc: &str, connection: &str, seq: u64) -> Option<Arc<Vec<CompactStream>>> {
        let held = self.held.lock().expect("no panics while the lock is held");
        let fabric = held.fabrics.get(&(uc.to_owned(), connection.to_owned()))?;
        fabric.bases.iter().find(|(s, ..)| *s == seq).map(|(_, streams, _)| streams.clone())
    }

    fn put(&self, uc: &str, connection: &str, seq: u64, streams: Arc<Vec<CompactStream>>) {
        let size = compact::memory_size(&streams);
        if size > self.max_fabric_bytes {
            return;
        }
        let mut held = self.held.lock().expect("no panics while the lock is held");
        let held = &mut *held;
        let key = (uc.to_owned(), connection.to_owned());
        if !held.fabrics.contains_key(&key) {
            held.order.push_back(key.clone());
        }
        let fabric = held.fabrics.entry(key).or_default();
        if fabric.bases.iter().any(|(s, ..)| *s == seq) {
            return;
        }
        fabric.bases.push_back((seq, streams, size));
        fabric.bytes += size;
        held.bytes += size;
        while fabric.bases.len() > BASES_PER_FABRIC || fabric.bytes > self.max_fabric_bytes {
            let Some((.., dropped)) = fabric.bases.pop_front() else { break };
            fabric.bytes -= dropped;
            held.bytes -= dropped;
        }
        while held.bytes > self.max_bytes || held.fabrics.len() > MAX_FABRICS {
            let Some(oldest) = held.order.pop_front() else { break };
            if let Some(gone) = held.fabrics.remove(&oldest) {
                held.bytes -= gone.bytes;
            }
        }
    }
}

/// Where a submission belongs.
#[derive(Clone, Copy)]
struct Place<'a> {
    app: AppId,
    conf: Option<&'a str>,
    uc: Option<&'a str>,
}

/// Who submits: the app an access token is for and, when the token came from the third-party
/// flow, the one user it speaks for (URI-encoded, as the token carries it).
#[derive(Clone, Copy)]
pub(crate) struct Submitter<'a> {
    pub app: AppId,
    pub user: Option<&'a str>,
}

impl<'a> Submitter<'a> {
    /// Any user of `app` (AppSecret-flow tokens, imports).
    pub(crate) fn any_user(app: AppId) -> Self {
        Submitter { app, user: None }
    }

    fn of(app: AppId, claims: &'a AccessClaims) -> Self {
        Submitter { app, user: claims.third_party.then_some(claims.user_id.as_str()) }
    }

    /// Refuses a localID other than the token's user; `what` says whose ID it is.
    fn check_user(&self, local_id: &str, what: &str) -> Result<(), IngestError> {
        match self.user {
            Some(u) if encode_uri_component(local_id) != u => Err(IngestError::Forbidden(format!(
                "the access token speaks for user `{u}` only; {what} is `{}`",
                encode_uri_component(local_id)
            ))),
            _ => Ok(()),
        }
    }
}

fn parse_app_id(segment: &str) -> Result<AppId, IngestError> {
    segment.parse::<AppId>().map_err(|_| {
        IngestError::NotFound(format!("AppID `{segment}` is not a number (was initialize given a numeric AppID?)"))
    })
}

fn origin_allowed(app: &App, origin: Option<&str>) -> bool {
    match origin {
        // Requests without an Origin come from servers and tools, not browsers; the allow-list
        // exists to stop other web pages from using the AppID.
        None => true,
        Some(o) => app.origins.is_empty() || app.origins.iter().any(|a| a == o),
    }
}

impl Ingest {
    /// `POST /authenticate`, from the client at `ip` (rate-limited per app and IP).
    pub async fn authenticate(&self, form: &AuthForm, origin: Option<&str>, ip: Option<IpAddr>) -> AuthOutcome {
        let refuse = |r: AuthRefusal| {
            let body = auth_error_body(r.error, &r.reason);
            (r, body)
        };
        let req = parse_form(form).map_err(refuse)?;
        if let Err(wait_ms) = self.throttles.check_authenticate(req.app_id, ip) {
            let secs = u64::try_from(wait_ms / 1000 + 1).unwrap_or(1);
            let reason =
                format!("too many authentications for app {} from this address; retry in {secs} s", req.app_id);
            return Err(refuse(AuthRefusal::slow_down(reason, secs)));
        }
        if req.user_id.len() > self.limits.max_id_bytes {
            let max = self.limits.max_id_bytes;
            return Err(refuse(AuthRefusal::bad_request(format!("the userID is longer than {max} bytes"))));
        }
        let app = match self.app(req.app_id).await {
            Ok(app) => app,
            Err(IngestError::NotFound(m)) => return Err(refuse(AuthRefusal::bad_grant(m))),
            Err(e) => return Err(refuse(AuthRefusal::server(e.to_string()))),
        };
        if !origin_allowed(&app, origin) {
            return Err(refuse(AuthRefusal::forbidden(format!(
                "origin {} is not allowed for app {}",
                origin.unwrap_or_default(),
                app.id
            ))));
        }
        let secret =
            self.key.open(app.id, &app.secret_sealed).map_err(|e| refuse(AuthRefusal::server(e.to_string())))?;
        let keys = self.store.app_keys(app.id).await.map_err(|e| refuse(AuthRefusal::server(e.to_string())))?;
        let code = verify_code(&req, &app, &secret, &keys, self.now_ms() / 1000).map_err(refuse)?;
        let reply = self.tokens.issue(&app, req.user_id, code.third_party, self.now_ms() / 1000).map_err(refuse)?;
        self.record_step(app.id, "initialized").await;
        Ok(reply)
    }

    /// Checks the caller's access token for the app named in the path.
    pub async fn authorize(&self, caller: Caller<'_>, app_segment: &str) -> Result<Arc<App>, IngestError> {
        self.authorize_claims(caller, app_segment).await.map(|(app, _)| app)
    }

    /// `authorize`, also giving the token's claims.
    async fn authorize_claims(
        &self,
        caller: Caller<'_>,
        app_segment: &str,
    ) -> Result<(Arc<App>, AccessClaims), IngestError> {
        let app_id = parse_app_id(app_segment)?;
        let token = caller
            .token
            .ok_or_else(|| IngestError::Unauthorized("missing access token (Authorization: Bearer …)".into()))?;
        let claims = self.tokens.verify(token, self.now_ms() / 1000).map_err(|r| match r {
            AccessRefusal::Expired => IngestError::TokenExpired,
            AccessRefusal::Invalid(m) => IngestError::Unauthorized(m),
        })?;
        if claims.app_id != app_id {
            return Err(IngestError::Forbidden(format!(
                "the access token is for app {}, not app {app_id}",
                claims.app_id
            )));
        }
        let app = self.app(app_id).await?;
        if !origin_allowed(&app, caller.origin) {
            return Err(IngestError::Forbidden(format!(
                "origin {} is not allowed for app {app_id}",
                caller.origin.unwrap_or_default()
            )));
        }
        Ok((app, claims))
    }

    /// The checks every request body passes before it is parsed: its size, and how deeply it
    /// nests (so that nothing is stored that cannot be read back, see `protocol::depth`).
    pub(crate) fn check_body(&self, body: &[u8]) -> Result<(), IngestError> {
        if body.len() > self.limits.max_body_bytes {
            return Err(IngestError::TooLarge { limit: self.limits.max_body_bytes });
        }
        callstats_protocol::depth::check_depth(body, self.limits.max_json_depth)?;
        Ok(())
    }

    /// Refuses IDs longer than `Limits::max_id_bytes`: they are stored in indexed columns and
    /// shown on every page.
    fn check_ids<'a>(&self, ids: impl IntoIterator<Item = (&'static str, Option<&'a str>)>) -> Result<(), IngestError> {
        let max = self.limits.max_id_bytes;
        match ids.into_iter().find(|(_, v)| v.is_some_and(|v| v.len() > max)) {
            Some((field, _)) => Err(ProtocolError::TooLong { field: field.to_owned(), max }.into()),
            None => Ok(()),
        }
    }

    /// `check_ids` for a conference ID and the IDs of an envelope.
    fn check_envelope_ids(&self, conf: Option<&str>, e: &Envelope) -> Result<(), IngestError> {
        self.check_ids([("confID", conf)].into_iter().chain(e.ids()))
    }

    fn submission(
        &self,
        place: Place<'_>,
        kind: SubmissionKind,
        parsed: &ParsedBody,
        raw: &[u8],
        truncated: bool,
    ) -> Submission {
        let e = &parsed.envelope;
        Submission {
            app_id: place.app,
            conf_id: place.conf.map(str::to_owned),
            uc_id: place.uc.map(str::to_owned),
            kind,
            event_type: e.event_type.clone(),
            user_id: Some(e.local_id.clone()),
            remote_id: e.remote_id.clone(),
            connection_id: e.connection_id.clone(),
            timestamp_ms: e.timestamp,
            received_at_ms: self.now_ms(),
            body: codec::compress(raw),
            body_len: raw.len() as u32,
            truncated,
            derived: None,
        }
    }

    /// `POST /v1/apps/{appID}/conferences/{confID}`: user joined. Returns the new ucID.
    pub async fn user_joined(
        &self,
        caller: Caller<'_>,
        app_segment: &str,
        conf: &str,
        body: &[u8],
    ) -> Result<String, IngestError> {
        self.check_body(body)?;
        let (app, claims) = self.authorize_claims(caller, app_segment).await?;
        let country = caller.country.and_then(crate::country_code);
        self.join_at(Submitter::of(app.id, &claims), conf, body, self.now_ms(), country, None).await
    }

    /// User joined for an already authorised app, received at `received_at` (epoch ms); with
    /// `hold_until`, the conference is held from the closer until then, in the same write.
    pub(crate) async fn join_at(
        &self,
        by: Submitter<'_>,
        conf: &str,
        body: &[u8],
        received_at: i64,
        country: Option<String>,
        hold_until: Option<i64>,
    ) -> Result<String, IngestError> {
        let parsed =
            envelope::parse(body, std::slice::from_ref(&catalogue::USER_JOINED), Category::Event, "user joined")?;
        self.check_envelope_ids(Some(conf), &parsed.envelope)?;
        by.check_user(&parsed.envelope.local_id, "the localID joining")?;
        let app_id = by.app;
        let value = parsed.value.as_ref().expect("event bodies are parsed to a tree");
        // Random 63-bit decimal: numeric like the original's, unique across nodes without a
        // database round trip, and not guessable from another participant's.
        let uc_id = rand::random_range(1_000_000_000_000_000u64..i64::MAX as u64).to_string();
        let participant = Participant {
            uc_id: uc_id.clone(),
            app_id,
            conf_id: conf.to_owned(),
            user_id: parsed.envelope.local_id.clone(),
            device_id: parsed.envelope.device_id.clone(),
            endpoint: value.get("endpointInfo").cloned().unwrap_or(Value::Null),
            sdk_version: parsed.envelope.sdk_version.clone(),
            joined_at: parsed.envelope.timestamp,
            received_at,
            country,
        };
        let mut sub = self.submission(
            Place { app: app_id, conf: Some(conf), uc: Some(&uc_id) },
            SubmissionKind::Event,
            &parsed,
            body,
            false,
        );
        sub.received_at_ms = participant.received_at;
        let mut writes = vec![Write::Join(participant), Write::Submission(sub)];
        writes.extend(self.note_step(app_id, "fabricAdded"));
        writes.extend(hold_until.map(|until_ms| Write::Hold { app_id, conf_id: conf.to_owned(), until_ms }));
        self.store.write(writes).await?;
        let home = Home { app: app_id, conf: conf.to_owned(), user: parsed.envelope.local_id.clone() };
        self.directory.remember_participant(&uc_id, home);
        tracing::debug!(app.id = app_id, conf.id = conf, uc.id = %uc_id, "user joined");
        Ok(uc_id)
    }

    /// Any POST below `/v1/apps/{appID}/conferences/{confID}/{ucID}/`.
    pub async fn submit(
        &self,
        caller: Caller<'_>,
        app_segment: &str,
        conf: &str,
        uc: &str,
        route_path: &str,
        body: &[u8],
    ) -> Result<(), IngestError> {
        if route_path != compact::ROUTE && catalogue::route(route_path).is_none() {
            return Err(IngestError::NotFound(format!("no such route: {route_path}")));
        }
        self.check_body(body)?;
        let (app, claims) = self.authorize_claims(caller, app_segment).await?;
        self.accept_at(Submitter::of(app.id, &claims), conf, uc, route_path, body, self.now_ms()).await
    }

    /// `POST …/{ucID}/batch`: several submissions of one participant in one request (an
    /// extension of REST API v1 for our SDK). Each item is checked as if it had come alone;
    /// the accepted ones are committed together before the answer, which gives each item's
    /// outcome in order.
    pub async fn submit_batch(
        &self,
        caller: Caller<'_>,
        app_segment: &str,
        conf: &str,
        uc: &str,
        body: &[u8],
    ) -> Result<Vec<Result<(), IngestError>>, IngestError> {
        #[derive(serde::Deserialize)]
        struct Item<'a> {
            route: String,
            #[serde(borrow)]
            body: &'a serde_json::value::RawValue,
        }
        #[derive(serde::Deserialize)]
        struct Batch<'a> {
            #[serde(borrow)]
            items: Vec<Item<'a>>,
        }
        self.check_body(body)?;
        let (app, claims) = self.authorize_claims(caller, app_segment).await?;
        let by = Submitter::of(app.id, &claims);
        let batch: Batch<'_> = serde_json::from_slice(body).map_err(|e| match e.classify() {
            // serde's message names the field: "missing field `items`", "invalid type … `route`".
            serde_json::error::Category::Data => IngestError::BadRequest(format!("batch body: {e}")),
            _ => IngestError::Protocol(ProtocolError::Malformed(e.to_string())),
        })?;
        if batch.items.len() > MAX_BATCH_ITEMS {
            return Err(IngestError::BadRequest(format!("a batch holds at most {MAX_BATCH_ITEMS} items")));
        }
        let now = self.now_ms();
        let mut writes = Vec::new();
        let mut outcomes = Vec::with_capacity(batch.items.len());
        for item in &batch.items {
            match self.prepare_at(by, conf, uc, &item.route, item.body.get().as_bytes(), now).await {
                Ok(w) => {
                    writes.extend(w);
                    outcomes.push(Ok(()));
                }
                Err(e) => outcomes.push(Err(e)),
            }
        }
        if !writes.is_empty() {
            self.store.write(writes).await?;
        }
        Ok(outcomes)
    }

    /// A submission below a participant of an already authorised app, received at
    /// `received_at` (epoch ms).
    pub(crate) async fn accept_at(
        &self,
        by: Submitter<'_>,
        conf: &str,
        uc: &str,
        route_path: &str,
        body: &[u8],
        received_at: i64,
    ) -> Result<(), IngestError> {
        let writes = self.prepare_at(by, conf, uc, route_path, body, received_at).await?;
        self.store.write(writes).await?;
        Ok(())
    }

    /// Validates and converts one submission into the writes that store it, without writing.
    async fn prepare_at(
        &self,
        by: Submitter<'_>,
        conf: &str,
        uc: &str,
        route_path: &str,
        body: &[u8],
        received_at: i64,
    ) -> Result<Vec<Write>, IngestError> {
        let app_id = by.app;
        let route = catalogue::route(route_path);
        if route.is_none() && route_path != compact::ROUTE {
            return Err(IngestError::NotFound(format!("no such route: {route_path}")));
        }
        match self.participant_home(uc).await? {
            Some(home) if home.app == app_id && home.conf == conf => {
                by.check_user(&home.user, &format!("the user of ucID {uc}"))?;
            }
            _ => {
                return Err(IngestError::NotFound(format!(
                    "ucID {uc} is not a participant of conference `{conf}` (user joined must come first)"
                )));
            }
        }
        let Some(route) = route else {
            return self.prepare_compact(by, Place { app: app_id, conf: Some(conf), uc: Some(uc) }, body, received_at);
        };
        // With analytics on, a stats body's reports are read while it is validated, and reduced to
        // stream snapshots stored beside it.
        let mut derived = None;
        let mut parsed = if route.category == Category::Stats && self.analytics {
            let (parsed, reports) = envelope::parse_stats_with_reports(body, route.kinds, route.path)?;
            let snaps = crate::normalise::extract(&reports);
            derived = Some(crate::normalise::pack(&snaps));
            parsed
        } else {
            envelope::parse(body, route.kinds, route.category, route.path)?
        };
        self.check_envelope_ids(Some(conf), &parsed.envelope)?;
        by.check_user(&parsed.envelope.local_id, "the localID submitted")?;
        let kind = match route.category {
            Category::Event => SubmissionKind::Event,
            Category::Stats => SubmissionKind::Stats,
            Category::CustomStats => SubmissionKind::CustomStats,
            Category::SystemStatus => SubmissionKind::SystemStatus,
        };
        let mut truncated = false;
        let mut rewritten = None;
        if parsed.envelope.event_type == "applicationErrorLog"
            && let Some(v) = parsed.value.as_mut()
        {
            {
                truncated = truncate_log(v, self.limits.app_log_bytes);
                if truncated {
                    rewritten = Some(serde_json::to_vec(v).expect("a parsed JSON tree serialises"));
                    tracing::debug!(app.id = app_id, conf.id = conf, "application log truncated");
                }
            }
        }
        let raw = rewritten.as_deref().unwrap_or(body);
        let mut sub =
            self.submission(Place { app: app_id, conf: Some(conf), uc: Some(uc) }, kind, &parsed, raw, truncated);
        sub.received_at_ms = received_at;
        sub.derived = derived;
        let mut step = crate::progress::step_of(&parsed.envelope.event_type);
        if parsed.envelope.event_type == "ssrcMap" && associates_tracks(parsed.value.as_ref()) {
            step = Some("mstAssociated");
        }
        let mut writes = vec![Write::Submission(sub)];
        writes.extend(step.and_then(|s| self.note_step(app_id, s)));
        Ok(writes)
    }

    /// A compact stats body (`…/{ucID}/stats/compact`, see `callstats_protocol::compact`): resolved
    /// against the base it names, stored as the keyframe it resolves to (so the stored body
    /// stands alone, like every other), with the same stream snapshots a report list gives.
    fn prepare_compact(
        &self,
        by: Submitter<'_>,
        place: Place<'_>,
        body: &[u8],
        received_at: i64,
    ) -> Result<Vec<Write>, IngestError> {
        let uc = place.uc.unwrap_or_default();
        let parsed = compact::parse(body)?;
        by.check_user(&parsed.local_id, "the localID submitted")?;
        let base = parsed.base.and_then(|b| self.compact_bases.get(uc, &parsed.connection_id, b));
        let streams = parsed.resolve(base.as_deref().map(Vec::as_slice)).map_err(|e| match e {
            CompactError::Protocol(p) => IngestError::Protocol(p),
            other => IngestError::KeyframeRequired(other.to_string()),
        })?;
        let snaps = crate::normalise::from_compact(&streams);
        let streams = Arc::new(streams);
        let keyframe = CompactBody { base: None, s: streams.as_ref().clone(), ..parsed };
        let raw = serde_json::to_vec(&keyframe).expect("a compact body serialises");
        let envelope = ParsedBody {
            envelope: Envelope {
                local_id: keyframe.local_id.clone(),
                device_id: keyframe.device_id.clone(),
                timestamp: keyframe.timestamp,
                event_type: "stats".into(),
                remote_id: keyframe.remote_id.clone(),
                connection_id: Some(keyframe.connection_id.clone()),
                sdk_version: keyframe.sdk_version.clone(),
            },
            value: None,
        };
        self.check_envelope_ids(place.conf, &envelope.envelope)?;
        let mut sub = self.submission(place, SubmissionKind::Stats, &envelope, &raw, false);
        sub.received_at_ms = received_at;
        sub.derived = Some(crate::normalise::pack(&snaps));
        self.compact_bases.put(uc, &keyframe.connection_id, keyframe.seq, streams);
        let mut writes = vec![Write::Submission(sub)];
        writes.extend(crate::progress::step_of("stats").and_then(|s| self.note_step(place.app, s)));
        Ok(writes)
    }

    /// `POST /v1/apps/{appID}/events/precall` and `/events/precallnotification`.
    pub async fn precall(
        &self,
        caller: Caller<'_>,
        app_segment: &str,
        notification: bool,
        body: &[u8],
    ) -> Result<(), IngestError> {
        self.check_body(body)?;
        let app = self.authorize(caller, app_segment).await?;
        let spec: &'static KindSpec =
            if notification { &catalogue::PRECALL_NOTIFICATION } else { &catalogue::PRECALL_RESULTS };
        let parsed = envelope::parse(body, std::slice::from_ref(spec), Category::Event, "pre-call")?;
        self.check_envelope_ids(None, &parsed.envelope)?;
        let sub =
            self.submission(Place { app: app.id, conf: None, uc: None }, SubmissionKind::Precall, &parsed, body, false);
        self.store.write(vec![Write::Submission(sub)]).await?;
        Ok(())
    }

    /// `POST /generics`: the client's log channel. It carries no token; the app ID is in the body.
    /// Anyone who knows an AppID could fill the disk through it, so it takes only small bodies
    /// (`Limits::max_generic_bytes`), for an app that exists, from a browser page of an origin
    /// the app allows (callstats-js calls it only from the page; browsers send the `Origin` of
    /// every cross-origin POST).
    pub async fn generic(&self, origin: Option<&str>, body: &[u8]) -> Result<(), IngestError> {
        if body.len() > self.limits.max_generic_bytes {
            return Err(IngestError::TooLarge { limit: self.limits.max_generic_bytes });
        }
        self.check_body(body)?;
        let v: Value = serde_json::from_slice(body).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
        let obj = v.as_object().ok_or_else(|| ProtocolError::Malformed("expected a JSON object".into()))?;
        let app_id = match obj.get("appID") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            None | Some(Value::Null) => return Err(ProtocolError::MissingField("appID".into()).into()),
            Some(_) => None,
        }
        .ok_or_else(|| ProtocolError::WrongType { field: "appID".into(), expected: "a number" })?;
        let event_type = match obj.get("eventType") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => return Err(ProtocolError::MissingField("eventType".into()).into()),
            Some(_) => return Err(ProtocolError::WrongType { field: "eventType".into(), expected: "a string" }.into()),
        };
        let user_id = obj.get("userID").and_then(Value::as_str);
        self.check_ids([("eventType", Some(event_type.as_str())), ("userID", user_id)])?;
        let app = self.app(app_id).await?;
        let Some(origin) = origin else {
            return Err(IngestError::Forbidden(
                "the generic channel takes requests from web pages only (no Origin)".into(),
            ));
        };
        if !origin_allowed(&app, Some(origin)) {
            return Err(IngestError::Forbidden(format!("origin {origin} is not allowed for app {app_id}")));
        }
        let now = self.now_ms();
        let sub = Submission {
            app_id,
            conf_id: None,
            uc_id: None,
            kind: SubmissionKind::Generic,
            event_type,
            user_id: user_id.map(str::to_owned),
            remote_id: None,
            connection_id: None,
            timestamp_ms: now as f64,
            received_at_ms: now,
            body: codec::compress(body),
            body_len: body.len() as u32,
            truncated: false,
            derived: None,
        };
        self.store.write(vec![Write::Submission(sub)]).await?;
        Ok(())
    }

    /// `GET /v1/apps/{appID}/configurations`: the default and recommended configurations.
    pub async fn app_configuration(&self, caller: Caller<'_>, app_segment: &str) -> Result<Value, IngestError> {
        let app = self.authorize(caller, app_segment).await?;
        self.record_step(app.id, "defaultConfig").await;
        let mut out = serde_json::Map::new();
        if let Some(d) = &app.settings.default_config {
            out.insert("default".into(), d.clone());
        }
        if let Some(r) = &app.settings.recommended_config {
            out.insert("recommended".into(), r.clone());
        }
        Ok(Value::Object(out))
    }

    /// `POST /v1/apps/{appID}/configurations`: the sender parameters callstats-js reports. Kept
    /// as data; we make no recommendation.
    pub async fn sender_config(&self, caller: Caller<'_>, app_segment: &str, body: &[u8]) -> Result<(), IngestError> {
        self.check_body(body)?;
        let app = self.authorize(caller, app_segment).await?;
        let v: Value = serde_json::from_slice(body).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
        let obj = v.as_object().ok_or_else(|| ProtocolError::Malformed("expected a JSON object".into()))?;
        let local_id = obj.get("local_id").and_then(Value::as_str);
        self.check_ids([("local_id", local_id)])?;
        let now = self.now_ms();
        let sub = Submission {
            app_id: app.id,
            conf_id: None,
            uc_id: None,
            kind: SubmissionKind::SenderConfig,
            event_type: "senderConfiguration".into(),
            user_id: local_id.map(str::to_owned),
            remote_id: None,
            connection_id: None,
            timestamp_ms: now as f64,
            received_at_ms: now,
            body: codec::compress(body),
            body_len: body.len() as u32,
            truncated: false,
            derived: None,
        };
        self.store.write(vec![Write::Submission(sub)]).await?;
        Ok(())
    }
}

/// Cuts an application log's `message` (and `stack`) to `limit` bytes on a character boundary.
/// Returns whether anything was cut.
fn truncate_log(v: &mut Value, limit: usize) -> bool {
    let Some(obj) = v.as_object_mut() else { return false };
    let mut cut = false;
    for field in ["message", "stack"] {
        let Some(f) = obj.get_mut(field) else { continue };
        let len = match &*f {
            Value::String(s) => s.len(),
            other => other.to_string().len(),
        };
        if len <= limit {
            continue;
        }
        let mut text = match f.take() {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        *f = Value::String(text);
        cut = true;
    }
    if cut {
        obj.insert("truncated".into(), Value::Bool(true));
    }
    cut
}

/// Whether an SSRC map carries an app-made association (a user, usage label or video tag).
fn associates_tracks(body: Option<&Value>) -> bool {
    let Some(entries) = body.and_then(|b| b.get("ssrcData")).and_then(Value::as_array) else { return false };
    entries.iter().any(|e| {
        ["usageLabel", "associatedVideoTag"]
            .iter()
            .any(|k| e.get(*k).and_then(Value::as_str).is_some_and(|v| !v.is_empty()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_bases_keep_the_latest_few_per_fabric() {
        let bases = CompactBases::new(&crate::Limits::default());
        let streams = |n: u32| Arc::new(vec![CompactStream { i: n, ..CompactStream::default() }]);
        for seq in 1..=(BASES_PER_FABRIC as u64 + 1) {
            bases.put("uc", "pc1", seq, streams(seq as u32));
        }
        assert!(bases.get("uc", "pc1", 1).is_none(), "the oldest is evicted");
        assert_eq!(bases.get("uc", "pc1", 2).expect("held")[0].i, 2);
        assert!(bases.get("uc", "pc2", 2).is_none(), "per fabric");
        assert!(bases.get("other", "pc1", 2).is_none(), "per participant");
        bases.put("uc", "pc1", 2, streams(99));
        assert_eq!(bases.get("uc", "pc1", 2).expect("held")[0].i, 2, "a retried seq keeps what was resolved first");
    }

    #[test]
    fn compact_bases_are_bounded_by_bytes() {
        let streams = |n: usize| Arc::new(vec![CompactStream { k: Some("a".into()), ..CompactStream::default() }; n]);
        let one = compact::memory_size(&streams(1));
        let limits = crate::Limits {
            compact_base_bytes_per_fabric: 10 * one,
            compact_base_bytes: 25 * one,
            ..crate::Limits::default()
        };
        let bases = CompactBases::new(&limits);
        // Larger than a fabric may hold: not kept at all.
        bases.put("uc", "big", 1, streams(11));
        assert!(bases.get("uc", "big", 1).is_none());
        // A fabric keeps its latest bases within its bytes.
        bases.put("uc", "pc1", 1, streams(6));
        bases.put("uc", "pc1", 2, streams(6));
        assert!(bases.get("uc", "pc1", 1).is_none(), "12 streams' worth is over the fabric's 10");
        assert!(bases.get("uc", "pc1", 2).is_some());
        // Over the total, the fabrics held first go first.
        bases.put("uc", "pc2", 1, streams(10));
        bases.put("uc", "pc3", 1, streams(10));
        assert!(bases.get("uc", "pc1", 2).is_none(), "evicted");
        assert!(bases.get("uc", "pc2", 1).is_some() && bases.get("uc", "pc3", 1).is_some());
        let held = bases.held.lock().unwrap();
        assert_eq!(held.bytes, 20 * one);
        assert_eq!((held.fabrics.len(), held.order.len()), (2, 2));
    }

    #[test]
    fn truncates_long_logs_on_char_boundaries() {
        let mut v = serde_json::json!({"message": "ä".repeat(15_000), "stack": "short"});
        assert!(truncate_log(&mut v, 20 * 1024));
        let m = v["message"].as_str().unwrap();
        assert!(m.len() <= 20 * 1024 && m.len() > 20 * 1024 - 2);
        assert_eq!(v["stack"], "short");
        assert_eq!(v["truncated"], true);
        let mut small = serde_json::json!({"message": "fine"});
        assert!(!truncate_log(&mut small, 20 * 1024));
        assert_eq!(small, serde_json::json!({"message": "fine"}));
    }
}
