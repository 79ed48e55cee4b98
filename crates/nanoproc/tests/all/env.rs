//! Environment variables: none unless granted.

use super::*;

const SECRET: &str = "NANOPROC_TEST_HOST_SECRET";

fn set_host_secret() {
    // SAFETY: tests in this binary only read this variable; setting it to the same
    // value from several threads is benign on glibc for this test's purposes.
    unsafe { std::env::set_var(SECRET, "hunter2") };
}

#[test]
fn host_variables_are_absent_unless_granted() {
    set_host_secret();
    for guest in ["env.wasm", "env_p2.wasm"] {
        let o = run(guest, &[], &mut captured());
        assert_exit(&o, 0);
        assert_eq!(stdout(&o), "", "{guest} saw variables it was not granted");
    }
}

#[test]
fn set_and_passed_through_variables_are_visible() {
    set_host_secret();
    for guest in ["env.wasm", "env_p2.wasm"] {
        let mut b = captured();
        b.env("GREETING", "hi")
            .inherit_env(SECRET)
            .inherit_env("NANOPROC_TEST_NOT_ON_HOST");
        let o = run(guest, &[], &mut b);
        assert_exit(&o, 0);
        assert_eq!(
            stdout(&o),
            format!("GREETING=hi\n{SECRET}=hunter2\n"),
            "{guest}"
        );
        assert!(
            o.denials()
                .any(|e| e.what == "env" && e.target == "NANOPROC_TEST_NOT_ON_HOST"),
            "a pass-through of a missing variable is reported"
        );
    }
}
