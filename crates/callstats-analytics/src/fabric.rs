//! The lifecycle of a fabric (one PeerConnection of one participant), folded from its events.
//!
//! Setup and failure delays are measured by the client from `addNewFabric()`; the fold keeps the
//! first setup or failure, because a later `reportError` on an established fabric (a failed
//! renegotiation) does not undo the fact that media flowed.

use serde::Serialize;

/// What one event says about a fabric, already extracted from the wire body.
#[derive(Debug, Clone, PartialEq)]
pub enum FabricSignal {
    /// ICE connected: the fabric is set up.
    Setup {
        /// Setup delay from `addNewFabric`, ms (optional on the wire).
        delay_ms: Option<f64>,
        /// When the event was sent, epoch ms.
        at_ms: f64,
        /// `fabricUsage` when the client sends it.
        usage: Option<String>,
        /// `fabricTransmissionDirection`.
        direction: Option<String>,
        /// `remoteEndpointType` (peer or server).
        remote_endpoint_type: Option<String>,
    },
    /// Setup failed (or a WebRTC function failed, via `reportError`).
    SetupFailed {
        /// Failure delay from `addNewFabric`, ms.
        delay_ms: Option<f64>,
        /// callstats failure reason (NegotiationFailure, IceConnectionFailure, …).
        reason: Option<String>,
        /// The WebRTC function that failed.
        function: Option<String>,
    },
    /// A signaling, ICE connection or ICE gathering state change.
    StateChange {
        /// Which state machine (`iceConnectionState`, `signalingState`, …).
        changed: String,
        /// Its new state.
        new_state: String,
        /// When, epoch ms.
        at_ms: f64,
    },
    /// The client saw connectivity break after setup (iceDisruptionStart).
    DisruptionStart {
        /// When, epoch ms.
        at_ms: f64,
    },
    /// Connectivity came back (iceDisruptionEnd).
    DisruptionEnd {
        /// When, epoch ms.
        at_ms: f64,
    },
    /// The selected candidate pair changed (fabricTransportSwitch).
    TransportSwitch {
        /// Whether the new pair is relayed, when known.
        relayed: Option<bool>,
    },
    /// Put on hold.
    Hold,
    /// Resumed from hold.
    Resume,
    /// ICE failed after the fabric had been connected.
    Dropped,
    /// The fabric ended.
    Terminated,
}

/// Where a fabric stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FabricState {
    /// Added, not yet connected.
    Initializing,
    /// Connected and not on hold.
    Established,
    /// On hold.
    Hold,
    /// Never connected, and a failure was reported.
    Failed,
    /// Was connected, then ICE failed.
    Dropped,
    /// Ended.
    Terminated,
}

/// The fabric as the read API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FabricView {
    /// Current state.
    pub state: FabricState,
    /// Usage, when known.
    pub usage: Option<String>,
    /// Transmission direction, when known.
    pub direction: Option<String>,
    /// Remote endpoint type, when known.
    pub remote_endpoint_type: Option<String>,
    /// Whether the fabric connected (a `fabricSetup` arrived), with or without its delay.
    pub set_up: bool,
    /// Setup delay, ms, when the fabric connected: as the client measured it, or else from the
    /// fabric's first event to its `fabricSetup` (see [`FabricView::infer_setup_delay`]).
    pub setup_delay_ms: Option<f64>,
    /// When the fabric connected, epoch ms.
    #[serde(skip)]
    pub set_up_at_ms: Option<f64>,
    /// Failure delay, ms, when setup failed.
    pub failure_delay_ms: Option<f64>,
    /// Failure reason, when setup failed.
    pub failure_reason: Option<String>,
    /// Failed WebRTC function, when setup failed.
    pub failure_function: Option<String>,
    /// Last ICE connection state seen.
    pub ice_connection_state: Option<String>,
    /// Periods without connectivity after setup.
    pub disruptions: Vec<Disruption>,
    /// How often the selected candidate pair changed.
    pub transport_switches: u32,
}

/// A period without connectivity after the fabric was set up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Disruption {
    /// Start, epoch ms.
    pub start_ms: f64,
    /// End, epoch ms; `None` while still disrupted.
    pub end_ms: Option<f64>,
}

impl Disruption {
    /// Length, ms, when it ended.
    pub fn duration_ms(&self) -> Option<f64> {
        self.end_ms.map(|e| (e - self.start_ms).max(0.0))
    }
}

impl Default for FabricView {
    fn default() -> Self {
        FabricView {
            state: FabricState::Initializing,
            usage: None,
            direction: None,
            remote_endpoint_type: None,
            set_up: false,
            setup_delay_ms: None,
            set_up_at_ms: None,
            failure_delay_ms: None,
            failure_reason: None,
            failure_function: None,
            ice_connection_state: None,
            disruptions: Vec::new(),
            transport_switches: 0,
        }
    }
}

impl FabricView {
    /// Folds signals, in time order, into the fabric's view.
    pub fn fold<'a>(signals: impl IntoIterator<Item = &'a FabricSignal>) -> Self {
        let mut v = FabricView::default();
        for s in signals {
            v.apply(s);
        }
        v
    }

    /// A `fabricSetup` without its (optional) `delay`: the setup delay is taken from
    /// `added_at_ms`, the fabric's first event (the client reports state changes from
    /// `addNewFabric` on), to the setup event. Nothing is inferred from a later or missing time.
    pub fn infer_setup_delay(&mut self, added_at_ms: f64) {
        if let (true, None, Some(at)) = (self.set_up, self.setup_delay_ms, self.set_up_at_ms)
            && at > added_at_ms
        {
            self.setup_delay_ms = Some(at - added_at_ms);
        }
    }

    fn disruption_start(&mut self, at: f64) {
        if self.disruptions.last().is_none_or(|d| d.end_ms.is_some()) {
            self.disruptions.push(Disruption { start_ms: at, end_ms: None });
        }
    }

    fn disruption_end(&mut self, at: f64) {
        if let Some(d) = self.disruptions.last_mut().filter(|d| d.end_ms.is_none()) {
            d.end_ms = Some(at.max(d.start_ms));
        }
    }

    /// Applies one signal.
    pub fn apply(&mut self, s: &FabricSignal) {
        let ended = matches!(self.state, FabricState::Terminated);
        match s {
            FabricSignal::Setup { delay_ms, at_ms, usage, direction, remote_endpoint_type } => {
                if !self.set_up {
                    self.set_up = true;
                    self.setup_delay_ms = *delay_ms;
                    self.set_up_at_ms = Some(*at_ms);
                }
                self.usage = usage.clone().or(self.usage.take());
                self.direction = direction.clone().or(self.direction.take());
                self.remote_endpoint_type = remote_endpoint_type.clone().or(self.remote_endpoint_type.take());
                if !ended {
                    self.state = FabricState::Established;
                }
            }
            FabricSignal::SetupFailed { delay_ms, reason, function } => {
                if self.failure_reason.is_none() {
                    self.failure_delay_ms = *delay_ms;
                    self.failure_reason = reason.clone();
                    self.failure_function = function.clone();
                }
                if matches!(self.state, FabricState::Initializing) {
                    self.state = FabricState::Failed;
                }
            }
            FabricSignal::StateChange { changed, new_state, at_ms } => {
                if changed == "iceConnectionState" {
                    self.ice_connection_state = Some(new_state.clone());
                    match new_state.as_str() {
                        "disconnected" if self.set_up => self.disruption_start(*at_ms),
                        "connected" | "completed" => self.disruption_end(*at_ms),
                        _ => {}
                    }
                }
            }
            FabricSignal::DisruptionStart { at_ms } => self.disruption_start(*at_ms),
            FabricSignal::DisruptionEnd { at_ms } => self.disruption_end(*at_ms),
            FabricSignal::TransportSwitch { .. } => self.transport_switches += 1,
            FabricSignal::Hold if !ended => self.state = FabricState::Hold,
            FabricSignal::Resume if matches!(self.state, FabricState::Hold) => self.state = FabricState::Established,
            FabricSignal::Dropped if !ended => self.state = FabricState::Dropped,
            FabricSignal::Terminated => self.state = FabricState::Terminated,
            FabricSignal::Hold | FabricSignal::Resume | FabricSignal::Dropped => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(delay: f64) -> FabricSignal {
        FabricSignal::Setup {
            delay_ms: Some(delay),
            at_ms: 1_000.0,
            usage: None,
            direction: Some("sendrecv".into()),
            remote_endpoint_type: None,
        }
    }

    fn failed(reason: &str) -> FabricSignal {
        FabricSignal::SetupFailed {
            delay_ms: Some(50.0),
            reason: Some(reason.into()),
            function: Some("createOffer".into()),
        }
    }

    #[test]
    fn setup_then_renegotiation_failure_stays_established() {
        let v = FabricView::fold(&[setup(193.7), failed("NegotiationFailure")]);
        assert_eq!(v.state, FabricState::Established);
        assert_eq!(v.setup_delay_ms, Some(193.7));
        assert_eq!(v.failure_reason.as_deref(), Some("NegotiationFailure"));
    }

    #[test]
    fn failure_before_setup_is_failed() {
        let v = FabricView::fold(&[failed("IceConnectionFailure")]);
        assert_eq!(v.state, FabricState::Failed);
        assert_eq!(v.failure_delay_ms, Some(50.0));
    }

    #[test]
    fn hold_resume_terminate() {
        let mut v = FabricView::fold(&[setup(10.0), FabricSignal::Hold]);
        assert_eq!(v.state, FabricState::Hold);
        v.apply(&FabricSignal::Resume);
        assert_eq!(v.state, FabricState::Established);
        v.apply(&FabricSignal::Terminated);
        v.apply(&FabricSignal::Hold);
        assert_eq!(v.state, FabricState::Terminated);
    }

    #[test]
    fn disruptions_are_timed_and_switches_counted() {
        let ice = |state: &str, at: f64| FabricSignal::StateChange {
            changed: "iceConnectionState".into(),
            new_state: state.into(),
            at_ms: at,
        };
        let v = FabricView::fold(&[
            ice("disconnected", 500.0), // before setup: not a disruption
            setup(100.0),
            ice("disconnected", 10_000.0),
            FabricSignal::DisruptionStart { at_ms: 10_100.0 },
            ice("connected", 14_000.0),
            FabricSignal::TransportSwitch { relayed: Some(true) },
            FabricSignal::DisruptionStart { at_ms: 20_000.0 },
        ]);
        assert_eq!(v.disruptions.len(), 2);
        assert_eq!(v.disruptions[0].duration_ms(), Some(4_000.0));
        assert_eq!(v.disruptions[1].end_ms, None);
        assert_eq!(v.transport_switches, 1);
    }

    #[test]
    fn a_setup_without_its_delay_counts_as_set_up_and_the_delay_comes_from_the_first_event() {
        let bare = FabricSignal::Setup {
            delay_ms: None,
            at_ms: 5_300.0,
            usage: None,
            direction: None,
            remote_endpoint_type: None,
        };
        let mut v = FabricView::fold(std::slice::from_ref(&bare));
        assert!(v.set_up);
        assert_eq!(v.state, FabricState::Established);
        assert_eq!(v.setup_delay_ms, None);
        v.infer_setup_delay(5_000.0);
        assert_eq!(v.setup_delay_ms, Some(300.0));
        // Nothing from an "added" time at or after the setup.
        let mut later = FabricView::fold(&[bare]);
        later.infer_setup_delay(6_000.0);
        assert_eq!(later.setup_delay_ms, None);
        // The client's own figure is kept.
        let mut measured = FabricView::fold(&[setup(120.0)]);
        measured.infer_setup_delay(0.0);
        assert_eq!(measured.setup_delay_ms, Some(120.0));
    }

    #[test]
    fn first_setup_delay_wins() {
        let v = FabricView::fold(&[setup(100.0), setup(900.0)]);
        assert_eq!(v.setup_delay_ms, Some(100.0));
    }
}
