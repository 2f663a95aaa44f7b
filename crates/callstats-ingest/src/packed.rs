//! The stored form of stream snapshots (`Submission::derived`): one format byte, then the
//! snapshots in postcard, with each counter as a varint when it is a whole number.
//!
//! Every stats submission stores its snapshots beside its raw body so that analyses never parse
//! bodies again; the request thread pays for encoding them and the single SQLite writer for each
//! byte. getStats counters are whole numbers carried as JSON numbers, so a varint holds most of
//! them in two to four bytes; only the real-valued members (timestamps with fractions, jitter, RTT,
//! delays) take eight. For the four streams of a callstats-js submission that is smaller than the
//! zstd-packed JSON stored before and costs a microsecond instead of twelve (`bench snapshots`
//! in the `callstats` binary prints both). Earlier rows (JSON text, zstd-packed JSON) still read:
//! neither can start with the format byte.

use callstats_analytics::quality::{Direction, MediaKind};
use callstats_analytics::streams::StreamSnapshot;
use serde::{Deserialize, Serialize, Serializer};

/// First byte of this format: each snapshot is the members of format 1 followed by the members
/// added since (silent concealment, packets discarded). JSON text starts with `[` (or white
/// space), zstd with 0x28.
const FORMAT: u8 = 0x02;
/// First byte of the first binary format, still read: the members up to
/// `quality_limitation`.
const FORMAT_1: u8 = 0x01;

/// Largest whole number an `f64` holds exactly.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// A getStats number: absent, a whole number (varint), or anything else bit for bit.
#[derive(Serialize, Deserialize)]
enum Num {
    Absent,
    Whole(u64),
    Real(f64),
}

impl From<Option<f64>> for Num {
    fn from(v: Option<f64>) -> Self {
        match v {
            None => Num::Absent,
            // Positive zero only: -0.0 keeps its sign as a real.
            Some(x) if x.is_sign_positive() && x.fract() == 0.0 && x <= EXACT => Num::Whole(x as u64),
            Some(x) => Num::Real(x),
        }
    }
}

impl From<Num> for Option<f64> {
    fn from(n: Num) -> Self {
        match n {
            Num::Absent => None,
            Num::Whole(w) => Some(w as f64),
            Num::Real(x) => Some(x),
        }
    }
}

/// One snapshot as stored: every member in a fixed order, none skipped (postcard is not
/// self-describing, so a member skipped when absent would shift the rest).
#[derive(Serialize, Deserialize)]
struct Packed<'a> {
    ssrc: u64,
    kind: MediaKind,
    direction: Direction,
    timestamp_ms: Num,
    #[serde(borrow)]
    codec: Option<&'a str>,
    fec: bool,
    bytes: Num,
    packets: Num,
    packets_lost: Num,
    remote_fraction_lost: Num,
    jitter_s: Num,
    rtt_s: Num,
    frames: Num,
    width: Num,
    height: Num,
    freeze_count: Num,
    freeze_duration_s: Num,
    concealed_samples: Num,
    total_samples: Num,
    jitter_buffer_delay_s: Num,
    jitter_buffer_emitted: Num,
    #[serde(borrow)]
    quality_limitation: Option<&'a str>,
}

/// One snapshot as format 2 stores it: format 1's members, then the newer ones (postcard
/// writes a struct as its members in order, so the first part is byte for byte format 1's).
#[derive(Serialize, Deserialize)]
struct Packed2<'a> {
    #[serde(borrow)]
    first: Packed<'a>,
    silent_concealed_samples: Num,
    packets_discarded: Num,
}

impl<'a> From<&'a StreamSnapshot> for Packed2<'a> {
    fn from(s: &'a StreamSnapshot) -> Self {
        Packed2 {
            first: Packed::from(s),
            silent_concealed_samples: s.silent_concealed_samples.into(),
            packets_discarded: s.packets_discarded.into(),
        }
    }
}

impl From<Packed2<'_>> for StreamSnapshot {
    fn from(p: Packed2<'_>) -> Self {
        StreamSnapshot {
            silent_concealed_samples: p.silent_concealed_samples.into(),
            packets_discarded: p.packets_discarded.into(),
            ..StreamSnapshot::from(p.first)
        }
    }
}

impl<'a> From<&'a StreamSnapshot> for Packed<'a> {
    fn from(s: &'a StreamSnapshot) -> Self {
        Packed {
            ssrc: s.ssrc,
            kind: s.kind,
            direction: s.direction,
            timestamp_ms: Some(s.timestamp_ms).into(),
            codec: s.codec.as_deref(),
            fec: s.fec,
            bytes: s.bytes.into(),
            packets: s.packets.into(),
            packets_lost: s.packets_lost.into(),
            remote_fraction_lost: s.remote_fraction_lost.into(),
            jitter_s: s.jitter_s.into(),
            rtt_s: s.rtt_s.into(),
            frames: s.frames.into(),
            width: s.width.into(),
            height: s.height.into(),
            freeze_count: s.freeze_count.into(),
            freeze_duration_s: s.freeze_duration_s.into(),
            concealed_samples: s.concealed_samples.into(),
            total_samples: s.total_samples.into(),
            jitter_buffer_delay_s: s.jitter_buffer_delay_s.into(),
            jitter_buffer_emitted: s.jitter_buffer_emitted.into(),
            quality_limitation: s.quality_limitation.as_deref(),
        }
    }
}

impl From<Packed<'_>> for StreamSnapshot {
    fn from(p: Packed<'_>) -> Self {
        StreamSnapshot {
            ssrc: p.ssrc,
            kind: p.kind,
            direction: p.direction,
            timestamp_ms: Option::from(p.timestamp_ms).unwrap_or(0.0),
            codec: p.codec.map(str::to_owned),
            fec: p.fec,
            bytes: p.bytes.into(),
            packets: p.packets.into(),
            packets_lost: p.packets_lost.into(),
            remote_fraction_lost: p.remote_fraction_lost.into(),
            jitter_s: p.jitter_s.into(),
            rtt_s: p.rtt_s.into(),
            frames: p.frames.into(),
            width: p.width.into(),
            height: p.height.into(),
            freeze_count: p.freeze_count.into(),
            freeze_duration_s: p.freeze_duration_s.into(),
            concealed_samples: p.concealed_samples.into(),
            silent_concealed_samples: None,
            packets_discarded: None,
            total_samples: p.total_samples.into(),
            jitter_buffer_delay_s: p.jitter_buffer_delay_s.into(),
            jitter_buffer_emitted: p.jitter_buffer_emitted.into(),
            quality_limitation: p.quality_limitation.map(str::to_owned),
        }
    }
}

/// The snapshots as a sequence of [`Packed`], without collecting them first.
struct All<'a>(&'a [StreamSnapshot]);

impl Serialize for All<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Packed2::from))
    }
}

/// Encodes snapshots for storage.
pub fn encode(snaps: &[StreamSnapshot]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + snaps.len() * 64);
    out.push(FORMAT);
    postcard::to_extend(&All(snaps), out).expect("snapshots serialise into a growable buffer")
}

/// Decodes what [`encode`] stored (or format 1 stored before); `None` when `stored` is in
/// another format or damaged.
pub fn decode(stored: &[u8]) -> Option<Vec<StreamSnapshot>> {
    fn all<'a, T: Deserialize<'a> + Into<StreamSnapshot>>(rest: &'a [u8]) -> Option<Vec<StreamSnapshot>> {
        let (packed, left): (Vec<T>, &[u8]) = postcard::take_from_bytes(rest).ok()?;
        left.is_empty().then(|| packed.into_iter().map(Into::into).collect())
    }
    match stored.split_first()? {
        (&FORMAT, rest) => all::<Packed2<'_>>(rest),
        (&FORMAT_1, rest) => all::<Packed<'_>>(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(ssrc: u64) -> StreamSnapshot {
        StreamSnapshot {
            ssrc,
            kind: MediaKind::Video,
            direction: Direction::Inbound,
            timestamp_ms: 1_733_140_800_123.456,
            codec: Some("VP8".into()),
            fec: false,
            bytes: Some(1_964_630.0),
            packets: Some(0.0),
            packets_lost: Some(-3.0),
            remote_fraction_lost: Some(0.015625),
            jitter_s: Some(0.004),
            rtt_s: None,
            frames: Some(1276.0),
            width: Some(640.0),
            height: Some(360.0),
            freeze_count: Some(-0.0),
            freeze_duration_s: Some(f64::MAX),
            concealed_samples: Some(EXACT + 2.0),
            silent_concealed_samples: Some(480.0),
            packets_discarded: Some(0.0),
            total_samples: Some(EXACT),
            jitter_buffer_delay_s: Some(12.5),
            jitter_buffer_emitted: None,
            quality_limitation: Some("bandwidth".into()),
        }
    }

    #[test]
    fn snapshots_round_trip_bit_for_bit() {
        let snaps = vec![snapshot(1), StreamSnapshot { codec: None, quality_limitation: None, ..snapshot(u64::MAX) }];
        let stored = encode(&snaps);
        assert_eq!(stored[0], FORMAT);
        let back = decode(&stored).expect("decodes");
        assert_eq!(back, snaps);
        let sign = |s: &StreamSnapshot| s.freeze_count.map(f64::is_sign_negative);
        assert_eq!(sign(&back[0]), Some(true), "-0.0 keeps its sign");
        assert_eq!(decode(&encode(&[])), Some(vec![]));
    }

    /// Rows written before format 2 still read, with the newer members absent.
    #[test]
    fn format_1_rows_still_read() {
        let snaps = [snapshot(7)];
        let mut v1 = vec![FORMAT_1];
        let packed: Vec<Packed<'_>> = snaps.iter().map(Packed::from).collect();
        v1 = postcard::to_extend(&packed, v1).expect("serialises");
        let back = decode(&v1).expect("format 1 decodes");
        let expected = StreamSnapshot { silent_concealed_samples: None, packets_discarded: None, ..snapshot(7) };
        assert_eq!(back, [expected]);
        assert_ne!(encode(&snaps)[1..], v1[1..], "format 2 carries more");
    }

    #[test]
    fn a_whole_counter_is_a_varint() {
        let len = |bytes| encode(&[StreamSnapshot { bytes, ..snapshot(1) }]).len();
        // A tag and three varint bytes, against a tag and eight bytes.
        assert_eq!(len(Some(1_000_000.5)) - len(Some(1_000_000.0)), 5);
        assert_eq!(len(Some(1_000_000.0)) - len(None), 3);
    }

    #[test]
    fn other_formats_and_damage_are_refused() {
        let stored = encode(&[snapshot(1)]);
        assert!(decode(br#"[{"ssrc":1}]"#).is_none());
        assert!(decode(&[0x28, 0xb5, 0x2f, 0xfd]).is_none());
        assert!(decode(&stored[..stored.len() - 1]).is_none());
        let mut longer = stored.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
        assert!(decode(&[]).is_none());
    }
}
