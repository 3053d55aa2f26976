//! Where the tests find real data: small fixtures in the repository (always there) and the full
//! kuzushiji sample in `../shared/data` (only on the project's own machines).

use std::path::{Path, PathBuf};

/// Set by CI: a test that needs `../shared/data` fails instead of skipping when it is absent.
pub const REQUIRE_SHARED: &str = "FUDE_REQUIRE_SHARED_DATA";

/// A file of the repository's real-data fixtures (`tests/fixtures/kuzushiji/NAME`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kuzushiji").join(name)
}

/// `../shared/data/REL` when it exists. When it does not, says on stderr that `test` was skipped
/// and why, and returns `None`; with [`REQUIRE_SHARED`] set it panics instead.
pub fn shared_or_skip(test: &str, rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(rel);
    if path.exists() {
        return Some(path);
    }
    let why = format!("{test}: skipped, {} is absent (only the project's machines have ../shared/data)", path.display());
    assert!(std::env::var_os(REQUIRE_SHARED).is_none(), "{why}, and {REQUIRE_SHARED} is set");
    // Straight to stderr, past the test harness's capture, so the skip shows in `cargo test`.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{why}\n").as_bytes());
    None
}
