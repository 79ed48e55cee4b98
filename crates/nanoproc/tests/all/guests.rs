//! The prebuilt guests in `examples/guests/bin` still match their sources.

use std::process::Command;

#[test]
#[ignore = "rebuilds every example guest from source (about a minute); run by .ci/run with --include-ignored"]
fn prebuilt_guests_match_their_sources() {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/guests/build.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("run build.sh --check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "prebuilt guests differ from their sources; run examples/guests/build.sh\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("MISMATCH"), "{text}");
}

#[test]
#[ignore = "rebuilds every example plugin from source; run by .ci/run with --include-ignored"]
fn prebuilt_plugins_match_their_sources() {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins/build.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("run build.sh --check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "prebuilt plugins differ from their sources; run examples/plugins/build.sh\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("MISMATCH"), "{text}");
}
