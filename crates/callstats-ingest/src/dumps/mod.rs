//! Dumps a support engineer already has, turned into a conference: an rtcstats dump (the JSON
//! lines jitsi's rtcstats client sends, and that Chromium's `webrtc-internals` page offers as
//! "rtcstats dump") becomes the requests a callstats.js client would have sent for the same call
//! — user joined, fabric state changes, setup or failure, getStats submissions, the API trace as
//! custom events, SDP, termination, user left — which [`crate::import::Importer`] then applies
//! through the same validation, storage and analysis as live traffic. A dump's conference is
//! scored and explained like any other.
//!
//! Converting is a streaming iterator over the file's lines with state per PeerConnection (the
//! last value of every report, for the delta-compressed polls), so memory grows with the number
//! of reports of one poll, not with the length of the call. Callers read the file twice: once to
//! check it all (a truncated or foreign file fails with the line that failed, before anything is
//! written), once to write.

pub mod rtcstats;

use std::io::{BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

/// A dump that cannot be imported, with where it failed.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The file could not be read (or decompressed).
    #[error("reading the dump failed: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not what the format says.
    #[error("line {line}: {what}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        what: String,
    },
    /// The file is not a dump of this format at all.
    #[error("not an rtcstats dump: {0}")]
    Foreign(String),
}

/// What importing one dump did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpImport {
    /// The conference it is (or already was) in.
    pub conference: String,
    /// Requests written; 0 when the same file had been imported before.
    pub records: usize,
}

impl crate::Ingest {
    /// Imports an rtcstats dump file into `app` as one conference, then hands it to the closer.
    /// The file is read twice: first to check every line (nothing is written if one fails),
    /// then to write. The conference is named after the dump and a digest of the file, so
    /// importing the same file again finds it and writes nothing.
    pub async fn import_rtcstats(
        &self,
        app: callstats_store::AppId,
        path: &std::path::Path,
    ) -> Result<DumpImport, crate::IngestError> {
        let bad = |e: DumpError| crate::IngestError::BadRequest(format!("{}: {e}", path.display()));
        let digest = digest(path).map_err(bad)?;
        let mut check = rtcstats::Records::new(open(path).map_err(bad)?, app as u64, &digest);
        let mut count = 0;
        for r in check.by_ref() {
            r.map_err(bad)?;
            count += 1;
        }
        let conference = check.conference();
        if self.store.conference(app, &conference).await?.is_some() {
            return Ok(DumpImport { conference, records: 0 });
        }
        let mut importer = crate::import::Importer::new(self, app);
        let mut written = 0;
        for r in rtcstats::Records::new(open(path).map_err(bad)?, app as u64, &digest) {
            importer.import(&r.map_err(bad)?).await?;
            written += 1;
        }
        importer.finish().await?;
        debug_assert_eq!(written, count);
        Ok(DumpImport { conference, records: written })
    }
}

/// Opens a dump file, plain or gzip-compressed (Chromium's downloads are `.gz`).
pub fn open(path: &std::path::Path) -> Result<Box<dyn BufRead>, DumpError> {
    let mut file = BufReader::new(std::fs::File::open(path)?);
    let gzip = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip { Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(file))) } else { Box::new(file) })
}

/// A short stable digest of a file's content: the same dump imported twice is the same
/// conference.
pub fn digest(path: &std::path::Path) -> Result<String, DumpError> {
    let mut reader = open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().take(5).map(|b| format!("{b:02x}")).collect())
}

/// Browser, version and OS from a user agent, as `endpointInfo` carries them.
pub(crate) fn endpoint_of(user_agent: &str) -> serde_json::Value {
    let version_after = |marker: &str| {
        user_agent.split(marker).nth(1).map(|rest| rest.split([' ', ';', ')']).next().unwrap_or_default().to_owned())
    };
    let (name, version) = if let Some(v) = version_after("Firefox/") {
        ("Firefox", Some(v))
    } else if let Some(v) = version_after("Edg/") {
        ("Edge", Some(v))
    } else if let Some(v) = version_after("Chrome/") {
        ("Chrome", Some(v))
    } else if user_agent.contains("Safari/") {
        ("Safari", version_after("Version/"))
    } else {
        ("Unknown", None)
    };
    let os = if user_agent.contains("Windows") {
        "Windows"
    } else if user_agent.contains("iPhone") || user_agent.contains("iPad") {
        "iOS"
    } else if user_agent.contains("Mac OS X") {
        "macOS"
    } else if user_agent.contains("Android") {
        "Android"
    } else if user_agent.contains("Linux") {
        "Linux"
    } else {
        "Unknown"
    };
    serde_json::json!({"type": "browser", "buildName": name, "buildVersion": version, "os": os, "userAgent": user_agent})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_and_plain_files_read_the_same_and_digest_the_same() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("callstats-dump-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "[\"connectionInfo\",null,{},1000]\n";
        let plain = dir.join("d.jsonl");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.join("d.jsonl.gz");
        let mut enc =
            flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
        let read = |p: &std::path::Path| {
            let mut s = String::new();
            open(p).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        assert_eq!(read(&gz), text);
        assert_eq!(read(&plain), text);
        assert_eq!(digest(&gz).unwrap(), digest(&plain).unwrap(), "the content, not the packing");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn user_agents_of_the_reference_dumps() {
        let ff = endpoint_of("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:109.0) Gecko/20100101 Firefox/118.0");
        assert_eq!(
            (ff["buildName"].as_str(), ff["buildVersion"].as_str(), ff["os"].as_str()),
            (Some("Firefox"), Some("118.0"), Some("macOS"))
        );
        let safari = endpoint_of(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
        );
        assert_eq!((safari["buildName"].as_str(), safari["buildVersion"].as_str()), (Some("Safari"), Some("17.0")));
        let chrome = endpoint_of(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.51 Safari/537.36",
        );
        assert_eq!((chrome["buildName"].as_str(), chrome["os"].as_str()), (Some("Chrome"), Some("Windows")));
    }
}
