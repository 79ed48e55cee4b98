//! The prebuilt guests and plugins in `examples/` still match their sources.

use std::process::Command;

/// Runs `examples/<dir>/build.sh --check`, which rebuilds from scratch and compares bytes.
fn assert_rebuild_matches(dir: &str) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(dir)
        .join("build.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("run build.sh --check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !text.contains("MISMATCH"),
        "prebuilt {dir} differ from their sources; run examples/{dir}/build.sh\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "rebuilds every example guest from source (about a minute); run by .ci/run with --include-ignored"]
fn prebuilt_guests_match_their_sources() {
    assert_rebuild_matches("guests");
}

#[test]
#[ignore = "rebuilds every example plugin from source; run by .ci/run with --include-ignored"]
fn prebuilt_plugins_match_their_sources() {
    assert_rebuild_matches("plugins");
}
