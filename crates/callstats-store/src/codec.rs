//! How raw request bodies are kept: zstd at a low level. A 16 KB getStats dump compresses about
//! fivefold at level 1 in tens of microseconds, which keeps the ingest path cheap while the
//! database stays small enough to hold weeks of raw samples for re-analysis.

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
}
