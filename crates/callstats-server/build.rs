//! Embeds the browser assets (the SDK bundle and the dashboard) that their TypeScript builds
//! write into `assets/`. A missing file is embedded as "not built" and answered with a clear
//! 503, rather than failing the Rust build for a contributor who has not run npm; the test suite
//! checks that every asset is present.

use std::fmt::Write as _;
use std::path::Path;

/// (URL path, file under assets/, content type)
const ASSETS: &[(&str, &str, &str)] = &[
    ("/static/callstats.min.js", "callstats.min.js", "application/javascript; charset=utf-8"),
    ("/static/callstats.js", "callstats.js", "application/javascript; charset=utf-8"),
    ("/static/callstats.js.map", "callstats.js.map", "application/json"),
    ("/", "dashboard/index.html", "text/html; charset=utf-8"),
    ("/assets/dashboard.js", "dashboard/dashboard.js", "application/javascript; charset=utf-8"),
    ("/assets/dashboard.css", "dashboard/dashboard.css", "text/css; charset=utf-8"),
];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut code = String::from(
        "/// Embedded assets: (URL path, bytes if built, content type).\npub static ASSETS: &[(&str, Option<&[u8]>, &str)] = &[\n",
    );
    for (url, file, ctype) in ASSETS {
        let path = dir.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = if path.is_file() {
            format!("Some(include_bytes!({:?}))", path.display().to_string())
        } else {
            "None".into()
        };
        writeln!(code, "    ({url:?}, {bytes}, {ctype:?}),").expect("write to string");
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("assets.rs");
    std::fs::write(out, code).expect("write generated assets.rs");
}
