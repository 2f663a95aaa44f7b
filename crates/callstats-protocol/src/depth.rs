//! How deeply a JSON text nests, checked before it is parsed or stored.
//!
//! The parsers that read request bodies skip what they do not need (`IgnoredAny`, `RawValue`),
//! and serde_json skips without a recursion limit, so a member nested 100,000 deep passes them;
//! but reading the stored body back as a JSON tree stops at serde_json's limit of 128 levels.
//! Refusing such a body at ingest, below that limit, means nothing is stored that cannot be read
//! back. One pass over the bytes, strings skipped with `memchr`: about a microsecond for a 16 KB
//! callstats-js stats body.

use crate::ProtocolError;

/// The nesting limit when none is configured: real bodies nest 3 to 6 levels (a stats body's
/// reports, an `ssrcMap`'s entries, an app's default RTCPeerConnection configuration).
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// The highest limit that may be configured: below serde_json's 128 levels with room for the
/// documents that embed a stored value (settings, summaries).
pub const MAX_MAX_DEPTH: usize = 100;

/// Refuses a JSON text whose arrays and objects nest deeper than `max` levels. Only the nesting
/// is looked at; whether the text is valid JSON is for the parser.
pub fn check_depth(json: &[u8], max: usize) -> Result<(), ProtocolError> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = json.get(i) {
        match b {
            // To the closing quote, hopping over escapes; an unterminated string ends the text.
            b'"' => loop {
                i += 1;
                let Some(at) = memchr::memchr2(b'"', b'\\', json.get(i..).unwrap_or_default()) else { return Ok(()) };
                i += at;
                if json[i] == b'"' {
                    break;
                }
                i += 1;
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(ProtocolError::TooDeep { max });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!(r#"{{"a":{}1{}}}"#, "[".repeat(levels - 1), "]".repeat(levels - 1))
    }

    #[test]
    fn counts_arrays_and_objects_outside_strings() {
        assert_eq!(check_depth(nested(32).as_bytes(), 32), Ok(()));
        assert_eq!(check_depth(nested(33).as_bytes(), 32), Err(ProtocolError::TooDeep { max: 32 }));
        assert_eq!(check_depth(nested(100_000).as_bytes(), 32), Err(ProtocolError::TooDeep { max: 32 }));
        // Brackets in strings, escaped quotes and backslashes do not count.
        let text = format!(r#"{{"k[{{":"[[[[\"{{{{\\","x":"{}"}}"#, "{".repeat(50));
        assert_eq!(check_depth(text.as_bytes(), 1), Ok(()));
        // Siblings do not add up.
        assert_eq!(check_depth(br#"{"a":{"b":1},"c":{"d":[1]},"e":[[]]}"#, 3), Ok(()));
        assert_eq!(check_depth(br#"{"a":{"b":1},"c":{"d":[[1]]}}"#, 3), Err(ProtocolError::TooDeep { max: 3 }));
    }

    #[test]
    fn what_passes_reads_back_as_a_tree() {
        let text = nested(MAX_MAX_DEPTH);
        check_depth(text.as_bytes(), MAX_MAX_DEPTH).expect("at the limit");
        serde_json::from_str::<serde_json::Value>(&text).expect("serde_json reads it back");
    }

    #[test]
    fn unterminated_strings_and_truncated_text_end_the_scan() {
        assert_eq!(check_depth(br#"{"a":"unterminated"#, 1), Ok(()));
        assert_eq!(check_depth(br#"{"a":"ends in \"#, 1), Ok(()));
        assert_eq!(check_depth(b"", 1), Ok(()));
    }
}
