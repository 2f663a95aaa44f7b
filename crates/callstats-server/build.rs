//! Tells the crate which browser bundles (the SDK and the dashboard, written into `assets/` by
//! their TypeScript builds) exist, so that `src/assets.rs` embeds them. A missing bundle is
//! answered with a clear 503 rather than failing the Rust build for a contributor who has not run
//! npm; the test suite checks that every bundle is present.
//!
//! Paths stay relative to the package on purpose: the cargo target directory is shared between
//! checkouts (CI's clean clone and a working copy), and cargo resolves relative paths against the
//! checkout being built, where absolute ones would point into another checkout.

use std::path::Path;

/// (cfg set when present, files under the package root)
const BUNDLES: &[(&str, &[&str])] = &[
    ("built_sdk", &["assets/callstats.min.js", "assets/callstats.js", "assets/callstats.js.map"]),
    (
        "built_dashboard",
        &["assets/dashboard/index.html", "assets/dashboard/dashboard.js", "assets/dashboard/dashboard.css"],
    ),
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(built_sdk, built_dashboard)");
    // Directories too, so that a bundle appearing for the first time is noticed.
    println!("cargo::rerun-if-changed=assets");
    println!("cargo::rerun-if-changed=assets/dashboard");
    for (cfg, files) in BUNDLES {
        for f in *files {
            println!("cargo::rerun-if-changed={f}");
        }
        if files.iter().all(|f| Path::new(f).is_file()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
