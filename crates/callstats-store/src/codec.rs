//! How raw request bodies are kept: zstd at a low level. A 16 KB getStats dump compresses about
//! fivefold at level 1 in tens of microseconds, which keeps the ingest path cheap while the
//! database stays small enough to hold weeks of raw samples for re-analysis.

use std::borrow::Cow;

/// The zstd level: the fastest that still gives most of the ratio on JSON.
const LEVEL: i32 = 1;

thread_local! {
    /// One compression context per thread: creating a zstd context costs more than compressing
    /// a stats body, so request threads keep theirs.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Compresses a raw body for storage.
pub fn compress(raw: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = zstd::bulk::Compressor::new(LEVEL).ok();
        }
        match slot.as_mut() {
            Some(c) => c.compress(raw).expect("zstd compression into a growable buffer cannot fail"),
            None => zstd::bulk::compress(raw, LEVEL).expect("zstd compression into a growable buffer cannot fail"),
        }
    })
}

/// Restores a raw body; `len` is the stored original length.
pub fn decompress(stored: &[u8], len: usize) -> crate::Result<Vec<u8>> {
    zstd::bulk::decompress(stored, len.max(1)).map_err(|e| crate::StoreError::Corrupt(format!("body: {e}")))
}

/// The four bytes every zstd frame starts with; JSON text never does.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Packs JSON text for storage: zstd too. Stream snapshots were stored this way before they had
/// a binary form of their own (`callstats_ingest::packed`); such rows still read through
/// [`unpack_text`].
pub fn pack_text(json: &str) -> Vec<u8> {
    compress(json.as_bytes())
}

/// Reads what [`pack_text`] stored, or JSON text stored as it was by earlier versions.
pub fn unpack_text(stored: &[u8]) -> crate::Result<Cow<'_, str>> {
    let not_utf8 = |e: std::str::Utf8Error| crate::StoreError::Corrupt(format!("packed text is not UTF-8: {e}"));
    if !stored.starts_with(&ZSTD_MAGIC) {
        return std::str::from_utf8(stored).map(Cow::Borrowed).map_err(not_utf8);
    }
    let bytes =
        zstd::stream::decode_all(stored).map_err(|e| crate::StoreError::Corrupt(format!("packed text: {e}")))?;
    String::from_utf8(bytes).map(Cow::Owned).map_err(|e| not_utf8(e.utf8_error()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        let raw = br#"{"stats":[{"type":"inbound-rtp","bytesReceived":12345}]}"#.repeat(20);
        let c = super::compress(&raw);
        assert!(c.len() < raw.len() / 4);
        assert_eq!(super::decompress(&c, raw.len()).unwrap(), raw);
        assert!(super::decompress(b"not zstd", 10).is_err());
    }

    #[test]
    fn packed_text_round_trips_and_plain_json_still_reads() {
        let json = r#"[{"ssrc":1,"kind":"audio","direction":"inbound","bytes":14602.0}]"#.repeat(8);
        let packed = super::pack_text(&json);
        assert!(packed.len() < json.len() / 2, "{} bytes packed", packed.len());
        assert_eq!(super::unpack_text(&packed).unwrap(), json);
        assert_eq!(super::unpack_text(json.as_bytes()).unwrap(), json);
        let mut broken = packed.clone();
        broken.truncate(packed.len() / 2);
        assert!(super::unpack_text(&broken).is_err());
        assert!(super::unpack_text(&[0xff, 0xfe]).is_err());
    }
}
