//! Arbitrary text as a policy file: parsing and applying it never panics, and every failure
//! is `Error::InvalidPolicy` with a one-line message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanoproc::{Error, PolicyBuilder, PolicyFile};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let result = PolicyFile::parse(text, "fuzz.toml").and_then(|file| {
        // Relative host paths resolve against a directory that does not exist, so mounts
        // and file grants exercise the "cannot mount" errors rather than the host's files.
        let mut b = PolicyBuilder::new();
        b.apply_file(&file, Path::new("/nonexistent/nanoproc-fuzz"))?;
        b.build()
    });
    match result {
        Ok(policy) => {
            // A valid policy answers its own questions without panicking.
            let _ = policy.grants_host_fn("host", "fn");
            let _ = format!("{:?}", policy.limits());
        }
        Err(e) => {
            assert!(
                matches!(e, Error::InvalidPolicy(_)),
                "a policy file failed with {} rather than invalid policy: {e:?}",
                e.kind_name()
            );
            let line = e.to_string();
            assert!(!line.contains('\n'), "a multi-line error: {line:?}");
            let detail = e.detail();
            assert!(
                !detail.chars().any(char::is_control),
                "a control character in the printed error: {detail:?}"
            );
        }
    }
});
