//! Logs on stderr, one event per line, as text or JSON (`--log-format`).
//!
//! Requests carry text chosen by anyone (paths, IDs, headers) and much of it reaches the log
//! through error messages. A line break in it would let a request write a line that looks like
//! the server's own (`%0A` in a path, decoded by the router, then `ERROR … commit failed`). Every
//! event is therefore written through [`OneLine`], which escapes each control character but the
//! event's final line break, whatever field it came in; the JSON format escapes them anyway.

use std::io::{self, Write};

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `TIME LEVEL target: message field=value …`, for people.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`), for log collectors.
    Json,
}

/// Installs the global subscriber: stderr, filtered by `CALLSTATS_LOG` (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("CALLSTATS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = format == LogFormat::Text && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(move || OneLine { inner: io::stderr(), keep_escape: ansi });
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// A writer that takes each write as one whole event and escapes the control characters in
/// it (as `\xNN`), except a final line break, tabs, and the ESC of colours when they are on.
/// The fmt layer formats an event into a buffer and writes it with one `write_all`.
pub struct OneLine<W> {
    inner: W,
    keep_escape: bool,
}

impl<W: Write> OneLine<W> {
    fn is_forbidden(&self, b: u8) -> bool {
        (b < 0x20 && b != b'\t' && !(self.keep_escape && b == 0x1b)) || b == 0x7f
    }
}

impl<W: Write> Write for OneLine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let (event, end) = match buf.strip_suffix(b"\n") {
            Some(event) => (event, &b"\n"[..]),
            None => (buf, &b""[..]),
        };
        if !event.iter().any(|&b| self.is_forbidden(b)) {
            return self.inner.write_all(buf);
        }
        let mut out = Vec::with_capacity(buf.len() + 32);
        for &b in event {
            if self.is_forbidden(b) {
                write!(out, "\\x{b:02x}")?;
            } else {
                out.push(b);
            }
        }
        out.extend_from_slice(end);
        self.inner.write_all(&out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(event: &[u8], keep_escape: bool) -> String {
        let mut w = OneLine { inner: Vec::new(), keep_escape };
        w.write_all(event).unwrap();
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn control_characters_inside_an_event_are_escaped() {
        let forged = "INFO request rejected error=no such route: x\n2026-12-06T00:00:00Z ERROR commit failed\r\n";
        assert_eq!(
            written(forged.as_bytes(), false),
            "INFO request rejected error=no such route: x\\x0a2026-12-06T00:00:00Z ERROR commit failed\\x0d\n"
        );
        assert_eq!(written("tab\tä \u{7f}\u{1b}[31m\n".as_bytes(), false), "tab\tä \\x7f\\x1b[31m\n");
        assert_eq!(written(b"\x1b[2mcoloured\x1b[0m\n", true), "\x1b[2mcoloured\x1b[0m\n");
        assert_eq!(written(b"plain\n", false), "plain\n");
    }
}
