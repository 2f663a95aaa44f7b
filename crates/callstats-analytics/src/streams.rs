//! Per-stream time series: from successive getStats snapshots of one RTP stream to intervals
//! with rates, loss, delay, video smoothness, audio concealment, MOS and a quality label.
//!
//! Snapshots are cumulative counters as getStats reports them; an interval is the difference of
//! two consecutive snapshots. A counter that goes backwards (renegotiation, a reused SSRC)
//! starts a new series instead of producing a negative rate.

use serde::{Deserialize, Serialize};

use crate::emodel::{AudioConditions, CodecImpairment, audio_mos};
use crate::quality::{Direction, LabelInputs, MediaKind, QualityLabel, label};

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
    /// Round-trip time, ms.
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
    /// Share of audio samples concealed, 0–1.
    pub concealment: Option<f64>,
    /// Average jitter-buffer delay, ms.
    pub jitter_buffer_ms: Option<f64>,
    /// Why the encoder held back (outbound video).
    pub quality_limitation: Option<String>,
    /// E-model MOS (audio, when the delay is known).
    pub mos: Option<f64>,
    /// callstats.js's label.
    pub label: QualityLabel,
}

/// RTTs kept for the median the labels use (the original uses a sliding percentile too).
const RTT_WINDOW: usize = 8;

/// Follows one stream across snapshots.
#[derive(Debug, Clone, Default)]
pub struct StreamTracker {
    prev: Option<StreamSnapshot>,
    rtts: Vec<f64>,
    prev_fps: Option<f64>,
}

fn delta(cur: Option<f64>, prev: Option<f64>) -> Option<f64> {
    Some(cur? - prev?)
}

impl StreamTracker {
    /// Feeds the next snapshot; returns the interval since the previous one, if there is one.
    pub fn push(&mut self, cur: StreamSnapshot) -> Option<StreamInterval> {
        if let Some(rtt) = cur.rtt_s.filter(|r| r.is_finite() && *r > 0.0) {
            if self.rtts.len() == RTT_WINDOW {
                self.rtts.remove(0);
            }
            self.rtts.push(rtt * 1000.0);
        }
        let prev = self.prev.replace(cur.clone())?;
        let dt_s = (cur.timestamp_ms - prev.timestamp_ms) / 1000.0;
        let reset = [(cur.bytes, prev.bytes), (cur.packets, prev.packets), (cur.frames, prev.frames)]
            .iter()
            .any(|(c, p)| delta(*c, *p).is_some_and(|d| d < 0.0));
        if dt_s <= 0.0 || reset {
            self.prev_fps = None;
            return None;
        }
        let rate = |d: Option<f64>| d.map(|d| d / dt_s);
        let d_packets = delta(cur.packets, prev.packets);
        let d_lost = delta(cur.packets_lost, prev.packets_lost).map(|l| l.max(0.0));
        let fraction_lost = match cur.direction {
            Direction::Inbound => match (d_lost, d_packets) {
                (Some(l), Some(p)) if l + p > 0.0 => Some(l / (l + p)),
                _ => None,
            },
            Direction::Outbound => cur.remote_fraction_lost,
        };
        let fps = rate(delta(cur.frames, prev.frames));
        let frame_rate_ratio = match (fps, self.prev_fps) {
            (Some(f), Some(p)) if p > 0.0 => Some(f / p),
            _ => None,
        };
        self.prev_fps = fps;
        let d_samples = delta(cur.total_samples, prev.total_samples);
        let concealment = match (delta(cur.concealed_samples, prev.concealed_samples), d_samples) {
            (Some(c), Some(t)) if t > 0.0 => Some((c / t).clamp(0.0, 1.0)),
            _ => None,
        };
        let jitter_buffer_ms = match (
            delta(cur.jitter_buffer_delay_s, prev.jitter_buffer_delay_s),
            delta(cur.jitter_buffer_emitted, prev.jitter_buffer_emitted),
        ) {
            (Some(d), Some(n)) if n > 0.0 => Some(d / n * 1000.0),
            _ => None,
        };
        let jitter_ms = cur.jitter_s.map(|j| j * 1000.0);
        let rtt_ms = cur.rtt_s.filter(|r| *r > 0.0).map(|r| r * 1000.0);
        let bitrate_kbps = rate(delta(cur.bytes, prev.bytes)).map(|b| b * 8.0 / 1000.0);
        let mos = match (cur.kind, rtt_ms) {
            (MediaKind::Audio, Some(rtt)) => {
                let codec = CodecImpairment::for_codec(cur.codec.as_deref().unwrap_or("opus"), bitrate_kbps, cur.fec);
                // Without a jitter-buffer figure (outbound streams), the jitter itself stands in
                // for the receiver's buffering.
                let jb = jitter_buffer_ms.or(jitter_ms).unwrap_or(0.0);
                let loss_pct = fraction_lost.unwrap_or(0.0) * 100.0;
                Some(
                    audio_mos(&AudioConditions {
                        rtt_ms: rtt,
                        jitter_buffer_ms: jb,
                        loss_pct,
                        burst_ratio: 1.0,
                        codec,
                    })
                    .1,
                )
            }
            _ => None,
        };
        let median_rtt_ms = median(&self.rtts);
        Some(StreamInterval {
            start_ms: prev.timestamp_ms,
            end_ms: cur.timestamp_ms,
            label: label(
                cur.kind,
                cur.direction,
                &LabelInputs { throughput_kbps: bitrate_kbps, fraction_lost, median_rtt_ms, frame_rate_ratio },
            ),
            bitrate_kbps,
            packet_rate: rate(d_packets),
            fraction_lost,
            jitter_ms,
            rtt_ms,
            fps,
            width: cur.width,
            height: cur.height,
            freezes: delta(cur.freeze_count, prev.freeze_count).map(|f| f.max(0.0)),
            frozen_ms: delta(cur.freeze_duration_s, prev.freeze_duration_s).map(|f| (f * 1000.0).max(0.0)),
            concealment,
            jitter_buffer_ms,
            quality_limitation: cur.quality_limitation.clone(),
            mos,
        })
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

    #[test]
    fn video_freezes_and_frame_rate() {
        let snap = |t: f64, frames: f64, freezes: f64, frozen: f64| StreamSnapshot {
            kind: MediaKind::Video,
            frames: Some(frames),
            freeze_count: Some(freezes),
            freeze_duration_s: Some(frozen),
            codec: Some("VP8".into()),
            concealed_samples: None,
            total_samples: None,
            jitter_buffer_delay_s: None,
            jitter_buffer_emitted: None,
            width: Some(640.0),
            height: Some(360.0),
            ..inbound_audio(t, t * 100.0, t / 10.0, 0.0)
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
        // Frame-rate ratio 6/30 = 0.2 → bad (1); 800 kbit/s → fair (3); RTT 50 ms → excellent (5):
        // mean 3 → fair.
        assert_eq!(b.bitrate_kbps, Some(800.0));
        assert_eq!(b.label, QualityLabel::Fair);
    }
}
