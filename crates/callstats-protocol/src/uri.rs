//! `encodeURIComponent` as the browser does it.
//!
//! The real client puts `encodeURIComponent(localUserID)` into the access token's `userID` claim
//! and compares it byte for byte, so the server must produce exactly the browser's encoding.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The characters `encodeURIComponent` leaves alone besides ASCII letters and digits.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Encodes `s` exactly as JavaScript's `encodeURIComponent` does.
pub fn encode_uri_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_browser_encoding() {
        assert_eq!(encode_uri_component("alice@example.com"), "alice%40example.com");
        assert_eq!(encode_uri_component("conf harness/1 ä"), "conf%20harness%2F1%20%C3%A4");
        assert_eq!(encode_uri_component("a-b_c.d!e~f*g'h(i)"), "a-b_c.d!e~f*g'h(i)");
    }
}
