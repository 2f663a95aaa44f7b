//! getStats reports as clients send them in a stats body: the members analysis reads, parsed
//! without building a JSON tree and without copying strings, and everything else skipped.
//! Lenient by design: a member of an unexpected type reads as absent rather than failing the
//! submission, because the body itself was already accepted as valid.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

/// A number, or a number in a string (legacy reports); anything else reads as absent. A visitor
/// rather than an untagged enum, which would buffer every value first.
fn num_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
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
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// The members of a getStats report the analysis reads; everything else in the (large) report
/// list is skipped by the parser without being stored. Strings borrow from the body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Report<'a> {
    /// The `id` member.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// The `kind_of_report` member.
    #[serde(rename = "type", borrow)]
    pub kind_of_report: Option<Cow<'a, str>>,
    /// The `kind` member.
    #[serde(borrow)]
    pub kind: Option<Cow<'a, str>>,
    /// The `media_type` member.
    #[serde(borrow)]
    pub media_type: Option<Cow<'a, str>>,
    /// The `ssrc` member.
    #[serde(deserialize_with = "num_or_string")]
    pub ssrc: Option<f64>,
    /// The `timestamp` member.
    #[serde(deserialize_with = "num_or_string")]
    pub timestamp: Option<f64>,
    /// The `codec_id` member.
    #[serde(borrow)]
    pub codec_id: Option<Cow<'a, str>>,
    /// The `mime_type` member.
    #[serde(borrow)]
    pub mime_type: Option<Cow<'a, str>>,
    /// The `sdp_fmtp_line` member.
    #[serde(borrow)]
    pub sdp_fmtp_line: Option<Cow<'a, str>>,
    /// The `bytes_received` member.
    #[serde(deserialize_with = "num_or_string")]
    pub bytes_received: Option<f64>,
    /// The `packets_received` member.
    #[serde(deserialize_with = "num_or_string")]
    pub packets_received: Option<f64>,
    /// The `packets_lost` member.
    #[serde(deserialize_with = "num_or_string")]
    pub packets_lost: Option<f64>,
    /// The `jitter` member.
    #[serde(deserialize_with = "num_or_string")]
    pub jitter: Option<f64>,
    /// The `frames_decoded` member.
    #[serde(deserialize_with = "num_or_string")]
    pub frames_decoded: Option<f64>,
    /// The `freeze_count` member.
    #[serde(deserialize_with = "num_or_string")]
    pub freeze_count: Option<f64>,
    /// The `total_freezes_duration` member.
    #[serde(deserialize_with = "num_or_string")]
    pub total_freezes_duration: Option<f64>,
    /// The `concealed_samples` member.
    #[serde(deserialize_with = "num_or_string")]
    pub concealed_samples: Option<f64>,
    /// The `total_samples_received` member.
    #[serde(deserialize_with = "num_or_string")]
    pub total_samples_received: Option<f64>,
    /// The `jitter_buffer_delay` member.
    #[serde(deserialize_with = "num_or_string")]
    pub jitter_buffer_delay: Option<f64>,
    /// The `jitter_buffer_emitted_count` member.
    #[serde(deserialize_with = "num_or_string")]
    pub jitter_buffer_emitted_count: Option<f64>,
    /// The `frame_width` member.
    #[serde(deserialize_with = "num_or_string")]
    pub frame_width: Option<f64>,
    /// The `frame_height` member.
    #[serde(deserialize_with = "num_or_string")]
    pub frame_height: Option<f64>,
    /// The `bytes_sent` member.
    #[serde(deserialize_with = "num_or_string")]
    pub bytes_sent: Option<f64>,
    /// The `packets_sent` member.
    #[serde(deserialize_with = "num_or_string")]
    pub packets_sent: Option<f64>,
    /// The `frames_encoded` member.
    #[serde(deserialize_with = "num_or_string")]
    pub frames_encoded: Option<f64>,
    /// The `quality_limitation_reason` member.
    #[serde(borrow)]
    pub quality_limitation_reason: Option<Cow<'a, str>>,
    /// The `local_id` member.
    #[serde(borrow)]
    pub local_id: Option<Cow<'a, str>>,
    /// The `round_trip_time` member.
    #[serde(deserialize_with = "num_or_string")]
    pub round_trip_time: Option<f64>,
    /// The `fraction_lost` member.
    #[serde(deserialize_with = "num_or_string")]
    pub fraction_lost: Option<f64>,
    /// The `selected_candidate_pair_id` member.
    #[serde(borrow)]
    pub selected_candidate_pair_id: Option<Cow<'a, str>>,
    /// The `nominated` member.
    pub nominated: Option<bool>,
    /// The `state` member.
    #[serde(borrow)]
    pub state: Option<Cow<'a, str>>,
    /// The `current_round_trip_time` member.
    #[serde(deserialize_with = "num_or_string")]
    pub current_round_trip_time: Option<f64>,
    /// The `goog_codec_name` member.
    #[serde(borrow)]
    pub goog_codec_name: Option<Cow<'a, str>>,
    /// The `goog_jitter_received` member.
    #[serde(deserialize_with = "num_or_string")]
    pub goog_jitter_received: Option<f64>,
    /// The `goog_rtt` member.
    #[serde(deserialize_with = "num_or_string")]
    pub goog_rtt: Option<f64>,
    /// The `goog_frame_width_received` member.
    #[serde(deserialize_with = "num_or_string")]
    pub goog_frame_width_received: Option<f64>,
    /// The `goog_frame_height_received` member.
    #[serde(deserialize_with = "num_or_string")]
    pub goog_frame_height_received: Option<f64>,
    /// The `goog_frame_width_sent` member.
    #[serde(deserialize_with = "num_or_string")]
    pub goog_frame_width_sent: Option<f64>,
    /// The `goog_frame_height_sent` member.
    #[serde(deserialize_with = "num_or_string")]
    pub goog_frame_height_sent: Option<f64>,
    /// The `legacy_time_stamp` member.
    #[serde(deserialize_with = "num_or_string")]
    pub legacy_time_stamp: Option<f64>,
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

struct Slot<'a>(Option<Report<'a>>);

impl<'de> Deserialize<'de> for Slot<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Slot<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a report")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Report::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|r| Slot(Some(r)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Slot(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Slot(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Slot(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Slot(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Slot(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Slot(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Slot(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Reports<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Reports<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array or an object")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(24));
                while let Some(Slot(r)) = seq.next_element::<Slot<'de>>()? {
                    out.extend(r);
                }
                Ok(Reports(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((_, Slot(r))) = map.next_entry::<serde::de::IgnoredAny, Slot<'de>>()? {
                    out.extend(r);
                }
                Ok(Reports(out))
            }
        }
        d.deserialize_any(V)
    }
}
