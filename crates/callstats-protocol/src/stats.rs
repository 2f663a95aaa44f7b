//! getStats reports as clients send them in a stats body: the members analysis reads, parsed
//! without building a JSON tree and without copying strings, and everything else skipped.
//! Lenient by design: a member of an unexpected type reads as absent rather than failing the
//! submission, because the body itself was already accepted as valid.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The visitor methods of a lenient member for the JSON types it does not take: each reads as
/// `$absent`, and arrays and objects are skipped through.
macro_rules! absent_otherwise {
    ($absent:expr; $($kind:ident)*) => { $(absent_otherwise!(@$kind $absent);)* };
    (@f64 $a:expr) => { fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> { Ok($a) } };
    (@i64 $a:expr) => { fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> { Ok($a) } };
    (@u64 $a:expr) => { fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> { Ok($a) } };
    (@bool $a:expr) => { fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> { Ok($a) } };
    (@str $a:expr) => { fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> { Ok($a) } };
    (@unit $a:expr) => { fn visit_unit<E>(self) -> Result<Self::Value, E> { Ok($a) } };
    (@seq $a:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| $a)
        }
    };
    (@map $a:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map).map(|()| $a)
        }
    };
}

/// A number, or a number in a string (legacy reports); anything else reads as absent. A visitor
/// rather than an untagged enum, which would buffer every value first.
fn num_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number or a numeric string")
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.trim().parse().ok())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        absent_otherwise!(None; bool unit seq map);
    }
    d.deserialize_any(V)
}

/// Declares [`Report`] and its reader from one list of `field: type = "key"` lines, so the
/// members read and the keys matched cannot drift apart. Hand-rolled rather than derived: the
/// derived reader goes through a generic identifier visitor and an adapter per report, which made
/// reading the reports cost three times as much as skipping them (the benchmark in
/// `callstats bench ingest`); matching borrowed keys directly halves that.
macro_rules! report {
    ($($field:ident : $kind:ident = $key:literal,)*) => {
        /// The members of a getStats report the analysis reads; everything else in the (large)
        /// report list is skipped by the parser without being stored. Strings borrow from the body.
        #[derive(Debug, Default)]
        pub struct Report<'a> {
            $(
                #[doc = concat!("The `", $key, "` member.")]
                pub $field: report!(@type $kind 'a),
            )*
        }

        fn read_report<'de, A: MapAccess<'de>>(mut map: A, r: &mut Report<'de>) -> Result<(), A::Error> {
            while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                match &*k {
                    $($key => r.$field = map.next_value::<report!(@read $kind)>()?.0,)*
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    };
    (@type num $l:lifetime) => { Option<f64> };
    (@type text $l:lifetime) => { Option<Cow<$l, str>> };
    (@type flag $l:lifetime) => { Option<bool> };
    (@read num) => { Num };
    (@read text) => { Text<'de> };
    (@read flag) => { Flag };
}

/// A member name, borrowed from the body unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Ignores the rest of a value that was not of the expected type.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A number, or a number in a string (legacy reports); anything else reads as absent.
struct Num(Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        num_or_string(d).map(Num)
    }
}

/// A string; anything else reads as absent.
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            absent_otherwise!(Text(None); f64 i64 u64 bool unit seq map);
        }
        d.deserialize_any(V)
    }
}

/// A boolean; anything else reads as absent.
struct Flag(Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Flag(Some(v)))
            }
            absent_otherwise!(Flag(None); str f64 i64 u64 unit seq map);
        }
        d.deserialize_any(V)
    }
}

report! {
    id: text = "id",
    kind_of_report: text = "type",
    kind: text = "kind",
    media_type: text = "mediaType",
    ssrc: num = "ssrc",
    timestamp: num = "timestamp",
    codec_id: text = "codecId",
    mime_type: text = "mimeType",
    sdp_fmtp_line: text = "sdpFmtpLine",
    bytes_received: num = "bytesReceived",
    packets_received: num = "packetsReceived",
    packets_lost: num = "packetsLost",
    jitter: num = "jitter",
    frames_decoded: num = "framesDecoded",
    freeze_count: num = "freezeCount",
    total_freezes_duration: num = "totalFreezesDuration",
    concealed_samples: num = "concealedSamples",
    silent_concealed_samples: num = "silentConcealedSamples",
    packets_discarded: num = "packetsDiscarded",
    total_samples_received: num = "totalSamplesReceived",
    jitter_buffer_delay: num = "jitterBufferDelay",
    jitter_buffer_emitted_count: num = "jitterBufferEmittedCount",
    frame_width: num = "frameWidth",
    frame_height: num = "frameHeight",
    bytes_sent: num = "bytesSent",
    packets_sent: num = "packetsSent",
    frames_encoded: num = "framesEncoded",
    quality_limitation_reason: text = "qualityLimitationReason",
    local_id: text = "localId",
    round_trip_time: num = "roundTripTime",
    fraction_lost: num = "fractionLost",
    selected_candidate_pair_id: text = "selectedCandidatePairId",
    nominated: flag = "nominated",
    state: text = "state",
    current_round_trip_time: num = "currentRoundTripTime",
    goog_codec_name: text = "googCodecName",
    goog_jitter_received: num = "googJitterReceived",
    goog_rtt: num = "googRtt",
    goog_frame_width_received: num = "googFrameWidthReceived",
    goog_frame_height_received: num = "googFrameHeightReceived",
    goog_frame_width_sent: num = "googFrameWidthSent",
    goog_frame_height_sent: num = "googFrameHeightSent",
    legacy_time_stamp: num = "legacyTimeStamp",
}

impl Report<'_> {
    /// Whether the report is of this `type`.
    pub fn is(&self, t: &str) -> bool {
        self.kind_of_report.as_deref() == Some(t)
    }

    /// `kind` (or callstats-js's `mediaType`).
    pub fn media(&self) -> Option<&str> {
        self.kind.as_deref().or(self.media_type.as_deref())
    }
}

/// Parses the JSON text of a `stats` member on its own (stored bodies).
pub fn parse_reports(stats: &str) -> Vec<Report<'_>> {
    serde_json::from_str::<Reports<'_>>(stats).map(|r| r.0).unwrap_or_default()
}

/// The report list of a body's `stats`, parsed while the body is read (see `envelope`): an array
/// or an object of reports; entries that are not objects are skipped.
#[derive(Debug, Default)]
pub struct Reports<'a>(pub Vec<Report<'a>>);

/// Reads one entry of the list straight into the end of the vector (reports are large, and
/// moving each through the return values showed up in profiles); entries that are not objects
/// are skipped.
struct Push<'v, 'a>(&'v mut Vec<Report<'a>>);

impl<'de> DeserializeSeed<'de> for Push<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Push<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a report")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.push(Report::default());
        let last = self.0.last_mut().expect("just pushed");
        read_report(map, last)
    }
    absent_otherwise!((); seq str f64 i64 u64 bool unit);
}

impl<'de> Deserialize<'de> for Reports<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Reports<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array or an object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(32));
                while seq.next_element_seed(Push(&mut out))?.is_some() {}
                Ok(Reports(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while map.next_key::<IgnoredAny>()?.is_some() {
                    map.next_value_seed(Push(&mut out))?;
                }
                Ok(Reports(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_members_it_knows_and_skips_the_rest() {
        let list = parse_reports(
            r#"[{"id":"IT01V1","type":"inbound-rtp","kind":"video","ssrc":1234,"bytesReceived":5000,
                "jitter":0.012,"frameWidth":640,"somethingNew":{"nested":[1,2,{"a":"b"}]},
                "qualityLimitationReason":"bandwidth"},
               {"id":"CP1","type":"candidate-pair","nominated":true,"state":"succeeded","currentRoundTripTime":0.05}]"#,
        );
        assert_eq!(list.len(), 2);
        let rtp = &list[0];
        assert!(rtp.is("inbound-rtp"));
        assert_eq!(rtp.media(), Some("video"));
        assert_eq!(rtp.ssrc, Some(1234.0));
        assert_eq!(rtp.bytes_received, Some(5000.0));
        assert_eq!(rtp.jitter, Some(0.012));
        assert_eq!(rtp.frame_width, Some(640.0));
        assert_eq!(rtp.quality_limitation_reason.as_deref(), Some("bandwidth"));
        assert_eq!(rtp.bytes_sent, None);
        let pair = &list[1];
        assert_eq!(pair.nominated, Some(true));
        assert_eq!(pair.state.as_deref(), Some("succeeded"));
        assert_eq!(pair.current_round_trip_time, Some(0.05));
    }

    #[test]
    fn members_of_an_unexpected_type_read_as_absent() {
        let list = parse_reports(
            r#"[{"id":7,"type":["inbound-rtp"],"ssrc":{"x":1},"jitter":true,"nominated":"yes","state":null}]"#,
        );
        assert_eq!(list.len(), 1);
        let r = &list[0];
        assert_eq!((r.id.as_deref(), r.kind_of_report.as_deref(), r.state.as_deref()), (None, None, None));
        assert_eq!((r.ssrc, r.jitter, r.nominated), (None, None, None));
    }

    #[test]
    fn legacy_reports_keyed_by_id_with_numbers_in_strings() {
        let list = parse_reports(
            r#"{"ssrc_1_recv":{"type":"ssrc","mediaType":"audio","ssrc":"1","googRtt":" 42 ","googCodecName":"opus"},
               "junk":"not a report","list":[1,2]}"#,
        );
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].media(), Some("audio"));
        assert_eq!(list[0].ssrc, Some(1.0));
        assert_eq!(list[0].goog_rtt, Some(42.0));
        assert_eq!(list[0].goog_codec_name.as_deref(), Some("opus"));
    }

    #[test]
    fn escaped_names_and_values_are_unescaped() {
        let list = parse_reports(r#"[{"\u0074ype":"outbound-rtp","id":"a\"b","mimeType":"video\/VP8"}]"#);
        assert!(list[0].is("outbound-rtp"));
        assert_eq!(list[0].id.as_deref(), Some("a\"b"));
        assert_eq!(list[0].mime_type.as_deref(), Some("video/VP8"));
    }

    #[test]
    fn text_that_is_not_a_list_of_reports_gives_none() {
        assert!(parse_reports("42").is_empty());
        assert!(parse_reports("[").is_empty());
    }
}
