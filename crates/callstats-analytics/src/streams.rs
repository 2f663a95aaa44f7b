//! Per-stream time series: from successive getStats snapshots of one RTP stream to intervals
//! with rates, loss, delay, video smoothness, audio concealment, MOS, and the verdict of
//! [`crate::quality`] (score and label).
//!
//! Snapshots are cumulative counters as getStats reports them; an interval is the difference of
//! two consecutive snapshots. A counter that goes backwards (renegotiation, a reused SSRC)
//! starts a new series instead of producing a negative rate. The tracker also remembers what
//! the stream has shown it can do (best frame rate, height and audio bitrate so far, whether
//! media ever flowed), which the verdict judges each interval against.

use serde::{Deserialize, Serialize};

use crate::emodel::{AudioConditions, CodecImpairment, audio_mos};
use crate::quality::{Direction, IntervalFacts, MediaKind, QualityLabel, judge};

/// One RTP stream's counters at one instant, as extracted from a stats submission (both the
/// original callstats-js report list and our SDK's). Units are getStats' own (bytes, packets,
/// seconds), so extraction is a copy, not a conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSnapshot {
    /// SSRC.
    pub ssrc: u64,
    /// Audio or video.
    pub kind: MediaKind,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Report timestamp, epoch ms.
    pub timestamp_ms: f64,
    /// Codec MIME subtype (`opus`, `VP8`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Opus in-band FEC negotiated.
    #[serde(default)]
    pub fec: bool,
    /// bytesReceived (inbound) or bytesSent (outbound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<f64>,
    /// packetsReceived or packetsSent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<f64>,
    /// Cumulative packets lost (inbound: local; outbound: as reported by the far end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets_lost: Option<f64>,
    /// Far end's last RTCP fraction lost, 0–1 (outbound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_fraction_lost: Option<f64>,
    /// Interarrival jitter, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_s: Option<f64>,
    /// Round-trip time, s (RTCP for the stream, else the transport's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtt_s: Option<f64>,
    /// framesDecoded or framesEncoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames: Option<f64>,
    /// Frame width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Frame height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
    /// freezeCount (inbound video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_count: Option<f64>,
    /// totalFreezesDuration, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_duration_s: Option<f64>,
    /// concealedSamples (inbound audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concealed_samples: Option<f64>,
    /// silentConcealedSamples: concealed samples that were silence or comfort noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_concealed_samples: Option<f64>,
    /// packetsDiscarded: packets that arrived too late or too early for the jitter buffer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets_discarded: Option<f64>,
    /// totalSamplesReceived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_samples: Option<f64>,
    /// jitterBufferDelay, s (sum over emitted samples or frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_buffer_delay_s: Option<f64>,
    /// jitterBufferEmittedCount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_buffer_emitted: Option<f64>,
    /// qualityLimitationReason (outbound video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_limitation: Option<String>,
}

/// One interval of one stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamInterval {
    /// Start (previous snapshot), epoch ms.
    pub start_ms: f64,
    /// End (this snapshot), epoch ms.
    pub end_ms: f64,
    /// Throughput, kbit/s.
    pub bitrate_kbps: Option<f64>,
    /// Packets per second.
    pub packet_rate: Option<f64>,
    /// Fraction of packets lost in the interval, 0–1.
    pub fraction_lost: Option<f64>,
    /// Jitter, ms.
    pub jitter_ms: Option<f64>,
    /// Round-trip time, ms, as last reported (within `RTT_HELD_MS`).
    pub rtt_ms: Option<f64>,
    /// Frames per second.
    pub fps: Option<f64>,
    /// Frame width.
    pub width: Option<f64>,
    /// Frame height.
    pub height: Option<f64>,
    /// Freezes that started in the interval.
    pub freezes: Option<f64>,
    /// Time frozen in the interval, ms.
    pub frozen_ms: Option<f64>,
    /// Share of audio samples concealed, 0–1 (silent concealment included).
    pub concealment: Option<f64>,
    /// Audio: the share of the media the listener did not get as sent, 0–1: the larger of the
    /// packets lost or discarded late and the samples concealed other than silence; 1 when
    /// nothing arrived. The loss the MOS is computed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_loss: Option<f64>,
    /// Average jitter-buffer delay, ms.
    pub jitter_buffer_ms: Option<f64>,
    /// Why the encoder held back (outbound video).
    pub quality_limitation: Option<String>,
    /// E-model MOS (audio, when the delay is known).
    pub mos: Option<f64>,
    /// The stream had flowed and nothing arrived (inbound) or left (outbound) in this interval.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_media: bool,
    /// Muted, paused or on hold as the app said: not judged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// The verdict's 0–5 score (see `quality`); `None` when there was nothing to judge.
    pub score: Option<f64>,
    /// The verdict's label.
    pub label: QualityLabel,
}

impl StreamInterval {
    /// Sets the interval aside as muted, paused or on hold: it keeps its measurements but has
    /// no verdict, and no score or reason counts it.
    pub fn set_aside(&mut self) {
        self.paused = true;
        self.score = None;
        self.label = QualityLabel::Unknown;
    }
}

/// Follows one stream across snapshots.
#[derive(Debug, Clone, Default)]
pub struct StreamTracker {
    prev: Option<StreamSnapshot>,
    /// Media has flowed at least once (so an interval without any is an outage, not a start).
    flowed: bool,
    best_fps: Option<f64>,
    best_height: Option<f64>,
    best_bitrate_kbps: Option<f64>,
    /// The last RTT reported, ms, and when.
    last_rtt: Option<(f64, f64)>,
}

/// How long an RTT stays the stream's RTT when later polls do not report one (browsers report
/// the candidate pair's RTT only once a consent check has been answered, and RTCP RTTs only
/// when a report arrived), ms.
pub const RTT_HELD_MS: f64 = 10_000.0;

fn raise(best: &mut Option<f64>, v: Option<f64>) {
    if let Some(v) = v.filter(|v| v.is_finite() && *v > 0.0) {
        *best = Some(best.map_or(v, |b| b.max(v)));
    }
}

fn delta(cur: Option<f64>, prev: Option<f64>) -> Option<f64> {
    Some(cur? - prev?)
}

impl StreamTracker {
    /// Feeds the next snapshot; returns the interval since the previous one, if there is one.
    pub fn push(&mut self, cur: StreamSnapshot) -> Option<StreamInterval> {
        if let Some(r) = cur.rtt_s.filter(|r| r.is_finite() && *r > 0.0) {
            self.last_rtt = Some((cur.timestamp_ms, r * 1000.0));
        }
        let prev = self.prev.replace(cur.clone())?;
        let dt_s = (cur.timestamp_ms - prev.timestamp_ms) / 1000.0;
        let reset = [(cur.bytes, prev.bytes), (cur.packets, prev.packets), (cur.frames, prev.frames)]
            .iter()
            .any(|(c, p)| delta(*c, *p).is_some_and(|d| d < 0.0));
        if dt_s <= 0.0 || reset {
            return None;
        }
        let dur_ms = cur.timestamp_ms - prev.timestamp_ms;
        let rate = |d: Option<f64>| d.map(|d| d / dt_s);
        let d_packets = delta(cur.packets, prev.packets);
        let no_media = self.flowed && d_packets == Some(0.0);
        if d_packets.is_some_and(|p| p > 0.0) {
            self.flowed = true;
        }
        let d_lost = delta(cur.packets_lost, prev.packets_lost).map(|l| l.max(0.0));
        let fraction_lost = match cur.direction {
            Direction::Inbound => match (d_lost, d_packets) {
                (Some(l), Some(p)) if l + p > 0.0 => Some(l / (l + p)),
                _ => None,
            },
            Direction::Outbound => cur.remote_fraction_lost,
        };
        let fps = rate(delta(cur.frames, prev.frames));
        let d_samples = delta(cur.total_samples, prev.total_samples).filter(|t| *t > 0.0);
        let d_concealed = delta(cur.concealed_samples, prev.concealed_samples).map(|c| c.max(0.0));
        let concealment = d_concealed.zip(d_samples).map(|(c, t)| (c / t).clamp(0.0, 1.0));
        let jitter_buffer_ms = match (
            delta(cur.jitter_buffer_delay_s, prev.jitter_buffer_delay_s),
            delta(cur.jitter_buffer_emitted, prev.jitter_buffer_emitted),
        ) {
            (Some(d), Some(n)) if n > 0.0 => Some(d / n * 1000.0),
            _ => None,
        };
        let jitter_ms = cur.jitter_s.map(|j| j * 1000.0);
        // The RTT as last reported, for up to RTT_HELD_MS (set from `cur` above when it has one).
        let rtt_ms = self.last_rtt.filter(|(at, _)| cur.timestamp_ms - at <= RTT_HELD_MS).map(|(_, r)| r);
        let bitrate_kbps = rate(delta(cur.bytes, prev.bytes)).map(|b| b * 8.0 / 1000.0);
        let frozen_ms = delta(cur.freeze_duration_s, prev.freeze_duration_s).map(|f| (f * 1000.0).clamp(0.0, dur_ms));

        let mut facts = IntervalFacts {
            duration_ms: dur_ms,
            fraction_lost,
            rtt_ms,
            jitter_ms,
            fps,
            height: cur.height,
            frozen_ms,
            no_media,
            ..Default::default()
        };
        let mut effective_loss = None;
        let mut mos = None;
        match cur.kind {
            MediaKind::Audio => {
                raise(&mut self.best_bitrate_kbps, bitrate_kbps);
                effective_loss = match cur.direction {
                    Direction::Inbound if no_media => Some(1.0),
                    Direction::Inbound => {
                        // Lost or discarded late, over what should have arrived.
                        let d_discarded = delta(cur.packets_discarded, prev.packets_discarded).map(|d| d.max(0.0));
                        let packet_loss = match (d_lost, d_packets) {
                            (Some(l), Some(p)) if l + p > 0.0 => Some((l + d_discarded.unwrap_or(0.0)) / (l + p)),
                            _ => None,
                        };
                        let silent = delta(cur.silent_concealed_samples, prev.silent_concealed_samples)
                            .map_or(0.0, |s| s.max(0.0));
                        let voiced = d_concealed.zip(d_samples).map(|(c, t)| ((c - silent) / t).clamp(0.0, 1.0));
                        match (packet_loss, voiced) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        }
                    }
                    Direction::Outbound => fraction_lost,
                };
                if !(no_media && cur.direction == Direction::Outbound) {
                    let codec = CodecImpairment::for_codec(
                        cur.codec.as_deref().unwrap_or("opus"),
                        self.best_bitrate_kbps,
                        cur.fec,
                    );
                    // Without a jitter-buffer figure (outbound streams), the jitter itself
                    // stands in for the receiver's buffering.
                    let jb = jitter_buffer_ms.or(jitter_ms).unwrap_or(0.0);
                    let mos_at = |rtt: f64| {
                        audio_mos(&AudioConditions {
                            rtt_ms: rtt,
                            jitter_buffer_ms: jb,
                            loss_pct: effective_loss.unwrap_or(0.0) * 100.0,
                            burst_ratio: 1.0,
                            codec,
                        })
                        .1
                    };
                    // Nothing heard at all is the floor of the scale (the E-model's loss term
                    // saturates at R ≈ 20, MOS 1.2, for any codec that conceals).
                    mos = rtt_ms.map(|rtt| if no_media { 1.0 } else { mos_at(rtt) });
                    facts.mos = mos;
                    facts.mos_without_rtt = mos.is_none().then(|| mos_at(0.0));
                }
            }
            MediaKind::Video => {
                if no_media && cur.direction == Direction::Inbound {
                    facts.frozen_ms = Some(dur_ms);
                }
                // The best so far includes this interval, so a stream is never judged against
                // more than it has shown.
                raise(&mut self.best_fps, fps);
                raise(&mut self.best_height, cur.height);
                facts.best_fps = self.best_fps;
                facts.best_height = self.best_height;
            }
        }
        let verdict = judge(cur.kind, cur.direction, &facts);
        Some(StreamInterval {
            start_ms: prev.timestamp_ms,
            end_ms: cur.timestamp_ms,
            bitrate_kbps,
            packet_rate: rate(d_packets),
            fraction_lost,
            jitter_ms,
            rtt_ms,
            fps,
            width: cur.width,
            height: cur.height,
            freezes: delta(cur.freeze_count, prev.freeze_count).map(|f| f.max(0.0)),
            frozen_ms: facts.frozen_ms,
            concealment,
            effective_loss,
            jitter_buffer_ms,
            quality_limitation: cur.quality_limitation.clone(),
            mos,
            no_media,
            paused: false,
            score: verdict.map(|v| v.score),
            label: verdict.map_or(QualityLabel::Unknown, |v| v.label),
        })
    }
}

/// Settles a stream's intervals once it is read whole: a run of intervals without media at
/// the end, which nothing came after, is the stream ending (its sender left, stopped or was
/// switched off, or a media server stopped forwarding it), not an outage, and loses its
/// verdict. Only a gap that media came back after is judged as dead media.
pub fn settle(intervals: &mut [StreamInterval]) {
    for i in intervals.iter_mut().rev().take_while(|i| i.no_media) {
        i.score = None;
        i.label = QualityLabel::Unknown;
    }
}

/// Median of unsorted values.
pub(crate) fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len().is_multiple_of(2) { (s[m - 1] + s[m]) / 2.0 } else { s[m] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbound_audio(t: f64, bytes: f64, packets: f64, lost: f64) -> StreamSnapshot {
        StreamSnapshot {
            ssrc: 1,
            kind: MediaKind::Audio,
            direction: Direction::Inbound,
            timestamp_ms: t,
            codec: Some("opus".into()),
            fec: true,
            bytes: Some(bytes),
            packets: Some(packets),
            packets_lost: Some(lost),
            remote_fraction_lost: None,
            jitter_s: Some(0.004),
            rtt_s: Some(0.05),
            frames: None,
            width: None,
            height: None,
            freeze_count: None,
            freeze_duration_s: None,
            concealed_samples: Some(0.0),
            silent_concealed_samples: Some(0.0),
            packets_discarded: Some(0.0),
            total_samples: Some(t * 48.0),
            jitter_buffer_delay_s: Some(t / 1000.0 * 48000.0 * 0.03),
            jitter_buffer_emitted: Some(t / 1000.0 * 48000.0),
            quality_limitation: None,
        }
    }

    #[test]
    fn rates_loss_and_mos_from_counters() {
        let mut t = StreamTracker::default();
        assert!(t.push(inbound_audio(10_000.0, 100_000.0, 1000.0, 0.0)).is_none(), "first snapshot has no interval");
        // 10 s later: 50 000 bytes → 40 kbit/s; 500 packets + 10 lost → 10/510 lost.
        let i = t.push(inbound_audio(20_000.0, 150_000.0, 1500.0, 10.0)).unwrap();
        assert!((i.bitrate_kbps.unwrap() - 40.0).abs() < 1e-9);
        assert!((i.packet_rate.unwrap() - 50.0).abs() < 1e-9);
        assert!((i.fraction_lost.unwrap() - 10.0 / 510.0).abs() < 1e-12);
        assert!((i.jitter_ms.unwrap() - 4.0).abs() < 1e-9);
        assert!((i.jitter_buffer_ms.unwrap() - 30.0).abs() < 1e-6);
        let mos = i.mos.unwrap();
        assert!(mos > 3.5 && mos < 4.41, "{mos}");
        assert_eq!(i.label, QualityLabel::Excellent);
    }

    #[test]
    fn counter_reset_starts_a_new_series() {
        let mut t = StreamTracker::default();
        t.push(inbound_audio(0.0, 100_000.0, 1000.0, 0.0));
        assert!(t.push(inbound_audio(5_000.0, 10.0, 1.0, 0.0)).is_none());
        let i = t.push(inbound_audio(10_000.0, 5_010.0, 101.0, 0.0)).unwrap();
        assert!((i.bitrate_kbps.unwrap() - 8.0).abs() < 1e-9);
        // A repeated timestamp gives no interval either.
        assert!(t.push(inbound_audio(10_000.0, 6_000.0, 120.0, 0.0)).is_none());
    }

    /// Received VP8 at 640×480, 100 bytes a packet.
    fn inbound_video(t: f64, frames: f64, packets: f64, frozen_s: f64) -> StreamSnapshot {
        StreamSnapshot {
            kind: MediaKind::Video,
            frames: Some(frames),
            freeze_count: Some(0.0),
            freeze_duration_s: Some(frozen_s),
            codec: Some("VP8".into()),
            concealed_samples: None,
            silent_concealed_samples: None,
            total_samples: None,
            jitter_buffer_delay_s: None,
            jitter_buffer_emitted: None,
            width: Some(640.0),
            height: Some(480.0),
            ..inbound_audio(t, packets * 100.0, packets, 0.0)
        }
    }

    #[test]
    fn video_freezes_and_frame_rate() {
        let snap = |t: f64, frames: f64, freezes: f64, frozen: f64| StreamSnapshot {
            freeze_count: Some(freezes),
            height: Some(360.0),
            ..inbound_video(t, frames, t / 10.0, frozen)
        };
        let mut t = StreamTracker::default();
        t.push(snap(0.0, 0.0, 0.0, 0.0));
        let a = t.push(snap(10_000.0, 300.0, 0.0, 0.0)).unwrap();
        assert_eq!(a.fps, Some(30.0));
        assert!(a.mos.is_none(), "no MOS for video");
        let b = t.push(snap(20_000.0, 360.0, 2.0, 4.5)).unwrap();
        assert_eq!(b.fps, Some(6.0));
        assert_eq!(b.freezes, Some(2.0));
        assert_eq!(b.frozen_ms, Some(4500.0));
        // 4.5 s of 10 s frozen costs 2.25; over the 5.5 s the picture moved it showed 6 / 0.55
        // = 10.9 fps of a best 30: 0.75 more. 2.0 → bad.
        assert_eq!(b.bitrate_kbps, Some(80.0));
        assert!((b.score.unwrap() - 2.0).abs() < 0.01, "{:?}", b.score);
        assert_eq!(b.label, QualityLabel::Bad);
        assert_eq!(a.label, QualityLabel::Excellent);
    }

    /// Two-second intervals of a 48 kHz Opus stream at 50 packets/s.
    fn audio_series(packets_per_interval: &[f64], concealed: &[f64], silent: &[f64]) -> Vec<StreamInterval> {
        let mut tracker = StreamTracker::default();
        let (mut packets, mut conc, mut sil) = (0.0, 0.0, 0.0);
        let mut out = Vec::new();
        for k in 0..=packets_per_interval.len() {
            if k > 0 {
                packets += packets_per_interval[k - 1];
                conc += concealed[k - 1];
                sil += silent[k - 1];
            }
            let t = 10_000.0 + k as f64 * 2_000.0;
            let mut snap = inbound_audio(t, packets * 100.0, packets, 0.0);
            snap.concealed_samples = Some(conc);
            snap.silent_concealed_samples = Some(sil);
            out.extend(tracker.push(snap));
        }
        out
    }

    #[test]
    fn dead_audio_after_it_flowed_is_bad_with_the_mos_of_total_loss() {
        let i =
            audio_series(&[100.0, 0.0, 0.0, 100.0], &[0.0, 96_000.0, 96_000.0, 0.0], &[0.0, 90_000.0, 96_000.0, 0.0]);
        assert_eq!(i[0].label, QualityLabel::Excellent);
        for dead in &i[1..3] {
            assert!(dead.no_media);
            assert_eq!(dead.effective_loss, Some(1.0));
            assert_eq!(dead.label, QualityLabel::Bad);
            assert_eq!(dead.score, Some(0.0));
            assert!(dead.mos.unwrap() < 1.1, "{:?}", dead.mos);
        }
        assert!(!i[3].no_media);
        assert_eq!(i[3].label, QualityLabel::Excellent);
        // A stream that has not started yet is not an outage.
        let before = audio_series(&[0.0, 100.0], &[0.0, 0.0], &[0.0, 0.0]);
        assert!(!before[0].no_media);
    }

    #[test]
    fn concealment_lowers_mos_even_without_packet_loss_but_silence_does_not() {
        let i = audio_series(&[100.0, 100.0, 100.0], &[0.0, 19_200.0, 19_200.0], &[0.0, 0.0, 19_200.0]);
        // 19,200 of 96,000 samples concealed: a fifth of the audio synthesised.
        assert_eq!(i[1].fraction_lost, Some(0.0));
        assert!((i[1].effective_loss.unwrap() - 0.2).abs() < 1e-9);
        assert!(i[1].mos.unwrap() < i[0].mos.unwrap() - 0.8, "{:?} vs {:?}", i[1].mos, i[0].mos);
        assert_eq!(i[1].label, QualityLabel::Bad);
        // The same amount concealed as silence (comfort noise between talk spurts) is no fault.
        assert_eq!(i[2].effective_loss, Some(0.0));
        assert_eq!(i[2].mos, i[0].mos);
    }

    #[test]
    fn a_stream_that_stops_for_good_ended_and_is_not_an_outage() {
        let mut i = audio_series(&[100.0, 0.0, 100.0, 0.0, 0.0], &[0.0; 5], &[0.0; 5]);
        settle(&mut i);
        assert_eq!(i[1].label, QualityLabel::Bad, "a gap media came back after");
        assert!(i[3].no_media && i[4].no_media);
        assert_eq!((i[3].label, i[4].score), (QualityLabel::Unknown, None), "the end");
    }

    #[test]
    fn a_quiet_interval_of_an_opus_stream_is_not_on_a_bitrate_cliff() {
        let mut t = StreamTracker::default();
        t.push(inbound_audio(0.0, 0.0, 0.0, 0.0));
        // 40 kbit/s with speech, then 10 kbit/s in a pause.
        let loud = t.push(inbound_audio(10_000.0, 50_000.0, 500.0, 0.0)).unwrap();
        let quiet = t.push(inbound_audio(20_000.0, 62_500.0, 1000.0, 0.0)).unwrap();
        assert_eq!(quiet.bitrate_kbps, Some(10.0));
        assert_eq!(quiet.mos, loud.mos);
    }

    #[test]
    fn late_discarded_packets_count_as_lost_to_the_listener() {
        let mut t = StreamTracker::default();
        t.push(inbound_audio(0.0, 0.0, 0.0, 0.0));
        let mut late = inbound_audio(10_000.0, 50_000.0, 500.0, 0.0);
        late.packets_discarded = Some(50.0);
        let i = t.push(late).unwrap();
        assert_eq!(i.fraction_lost, Some(0.0));
        assert!((i.effective_loss.unwrap() - 0.1).abs() < 1e-9);
    }

    #[test]
    fn firefox_like_audio_without_rtt_is_still_judged() {
        let mut t = StreamTracker::default();
        let no_rtt = |t: f64, p: f64| StreamSnapshot { rtt_s: None, ..inbound_audio(t, p * 100.0, p, 0.0) };
        t.push(no_rtt(0.0, 0.0));
        let i = t.push(no_rtt(2_000.0, 100.0)).unwrap();
        assert_eq!(i.mos, None, "no MOS is reported without an RTT");
        assert_eq!(i.label, QualityLabel::Excellent);
    }

    #[test]
    fn a_video_outage_is_frozen_time_and_the_freeze_reported_after_it_is_not_counted_twice() {
        let snap = |t: f64, frames: f64, packets: f64, frozen_s: f64| StreamSnapshot {
            freeze_count: Some(if frozen_s > 0.0 { 1.0 } else { 0.0 }),
            ..inbound_video(t, frames, packets, frozen_s)
        };
        let mut t = StreamTracker::default();
        t.push(snap(0.0, 0.0, 0.0, 0.0));
        let a = t.push(snap(2_000.0, 60.0, 200.0, 0.0)).unwrap();
        let dead = t.push(snap(4_000.0, 60.0, 200.0, 0.0)).unwrap();
        let after = t.push(snap(6_000.0, 110.0, 400.0, 3.5)).unwrap();
        assert_eq!(a.label, QualityLabel::Excellent);
        assert!(dead.no_media);
        assert_eq!(dead.frozen_ms, Some(2_000.0));
        assert_eq!(dead.score, Some(0.0));
        // Chrome reports the whole 3.5 s freeze when it ends; the interval holds 2 s of it.
        assert_eq!(after.frozen_ms, Some(2_000.0));
    }
}
