//! Filesystem grants: deny by default, read-only unless writable, no escape routes.

use super::*;
use nanoproc::Decision;
use std::fs;

/// A host layout: `root/inner` (to be mounted, holding `inside.txt`) and `root/secret.txt`
/// (outside the mount).
fn layout() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir(root.path().join("inner")).expect("mkdir");
    fs::write(root.path().join("inner/inside.txt"), "inside\n").expect("write");
    fs::write(root.path().join("secret.txt"), "TOP SECRET\n").expect("write");
    root
}

#[test]
fn read_is_denied_without_a_grant() {
    let o = run("cat.wasm", &["/etc/hosts"], &mut captured());
    assert_exit(&o, 1);
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("/etc/hosts"), "{}", stderr(&o));
}

#[test]
fn read_works_with_a_grant() {
    let root = layout();
    let mut b = captured();
    b.dir(root.path().join("inner"), "/data");
    let o = run("cat.wasm", &["/data/inside.txt"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "inside\n");
    assert!(
        o.events
            .iter()
            .any(|e| e.what == "fs.mount" && e.decision == Decision::Allowed)
    );
}

#[test]
fn dotdot_cannot_escape_a_mount() {
    let root = layout();
    for path in [
        "/data/../secret.txt",
        "/data/../../secret.txt",
        "/data/./../secret.txt",
    ] {
        let mut b = captured();
        b.dir(root.path().join("inner"), "/data");
        let o = run("fs.wasm", &["read", path], &mut b);
        assert_exit(&o, 1);
        assert!(!stdout(&o).contains("TOP SECRET"), "{path} leaked");
    }
}

#[test]
fn absolute_paths_outside_mounts_are_refused() {
    let root = layout();
    let secret = root.path().join("secret.txt");
    let mut b = captured();
    b.dir(root.path().join("inner"), "/data");
    let o = run("fs.wasm", &["read", secret.to_str().expect("utf8")], &mut b);
    assert_exit(&o, 1);
    assert!(!stdout(&o).contains("TOP SECRET"));
}

#[test]
fn symlinks_planted_inside_a_mount_cannot_point_outside() {
    let root = layout();
    let inner = root.path().join("inner");
    std::os::unix::fs::symlink("../secret.txt", inner.join("relative-link")).expect("symlink");
    std::os::unix::fs::symlink(root.path().join("secret.txt"), inner.join("absolute-link"))
        .expect("symlink");
    std::os::unix::fs::symlink("/etc", inner.join("etc-link")).expect("symlink");
    for path in [
        "/data/relative-link",
        "/data/absolute-link",
        "/data/etc-link/hosts",
    ] {
        let mut b = captured();
        b.dir(&inner, "/data");
        let o = run("fs.wasm", &["read", path], &mut b);
        assert_exit(&o, 1);
        assert!(!stdout(&o).contains("TOP SECRET"), "{path} leaked");
        assert!(
            !stdout(&o).contains("localhost"),
            "{path} leaked /etc/hosts"
        );
    }
}

#[test]
fn writes_into_a_read_only_mount_fail() {
    let root = layout();
    let inner = root.path().join("inner");
    for args in [
        vec!["write", "/data/new.txt", "x"],
        vec!["write", "/data/inside.txt", "overwritten"],
        vec!["mkdir", "/data/sub"],
        vec!["rm", "/data/inside.txt"],
    ] {
        let mut b = captured();
        b.dir(&inner, "/data");
        let o = run("fs.wasm", &args, &mut b);
        assert_exit(&o, 1);
    }
    assert!(!inner.join("new.txt").exists());
    assert!(!inner.join("sub").exists());
    assert_eq!(
        fs::read_to_string(inner.join("inside.txt")).expect("still there"),
        "inside\n"
    );
}

#[test]
fn writes_into_a_writable_mount_work() {
    let root = layout();
    let inner = root.path().join("inner");
    let mut b = captured();
    b.mount(&inner, "/data", true);
    let o = run("fs.wasm", &["write", "/data/new.txt", "hello"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(
        fs::read_to_string(inner.join("new.txt")).expect("written"),
        "hello"
    );
}

#[test]
fn copy_between_a_read_only_and_a_writable_mount() {
    let root = layout();
    let out = root.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    let mut b = captured();
    b.dir(root.path().join("inner"), "/in")
        .mount(&out, "/out", true);
    let o = run("copy.wasm", &["/in/inside.txt", "/out/copied.txt"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(
        fs::read_to_string(out.join("copied.txt")).expect("copied"),
        "inside\n"
    );
    // The other direction is refused: /in is read-only.
    let mut b = captured();
    b.dir(root.path().join("inner"), "/in")
        .mount(&out, "/out", true);
    let o = run("copy.wasm", &["/out/copied.txt", "/in/back.txt"], &mut b);
    assert_exit(&o, 1);
    assert!(!root.path().join("inner/back.txt").exists());
}

#[test]
fn a_single_file_grant_exposes_only_that_file() {
    let root = layout();
    let mut b = captured();
    b.file(root.path().join("secret.txt"), "/etc/app/config.txt");
    let o = run("cat.wasm", &["/etc/app/config.txt"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "TOP SECRET\n");
    let mut b = captured();
    b.file(root.path().join("secret.txt"), "/etc/app/config.txt");
    let o = run("fs.wasm", &["ls", "/etc/app"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "config.txt\nok\n");
    // It is read-only.
    let mut b = captured();
    b.file(root.path().join("secret.txt"), "/etc/app/config.txt");
    let o = run(
        "fs.wasm",
        &["write", "/etc/app/config.txt", "changed"],
        &mut b,
    );
    assert_exit(&o, 1);
    assert_eq!(
        fs::read_to_string(root.path().join("secret.txt")).expect("unchanged"),
        "TOP SECRET\n"
    );
}

#[test]
fn preview2_components_get_the_same_confinement() {
    let root = layout();
    let o = run("cat_p2.wasm", &["/etc/hosts"], &mut captured());
    assert_exit(&o, 1);
    let mut b = captured();
    b.dir(root.path().join("inner"), "/data");
    let o = run("cat_p2.wasm", &["/data/inside.txt"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "inside\n");
    let mut b = captured();
    b.dir(root.path().join("inner"), "/data");
    let o = run("cat_p2.wasm", &["/data/../secret.txt"], &mut b);
    assert_exit(&o, 1);
}

#[test]
fn go_guests_are_confined_too() {
    let root = layout();
    let o = run("cat_go.wasm", &["/etc/hosts"], &mut captured());
    assert_exit(&o, 1);
    let mut b = captured();
    b.dir(root.path().join("inner"), "/data");
    let o = run("cat_go.wasm", &["/data/inside.txt"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "inside\n");
}

#[test]
fn file_uses_and_denials_are_audited_with_guest_paths() {
    let root = layout();
    let inner = root.path().join("inner");
    let mut b = captured();
    b.dir(&inner, "/data");
    let o = run("cat.wasm", &["/data/inside.txt"], &mut b);
    assert_exit(&o, 0);
    assert!(
        o.events.iter().any(|e| e.what == "fs.open"
            && e.target == "/data/inside.txt"
            && e.decision == Decision::Allowed),
        "{:#?}",
        o.events
    );

    let mut b = captured();
    b.dir(&inner, "/data");
    let o = run("fs.wasm", &["write", "/data/new.txt", "x"], &mut b);
    assert_exit(&o, 1);
    let denial = o
        .denials()
        .find(|e| e.what == "fs.open")
        .expect("write denial audited");
    assert_eq!(denial.target, "/data/new.txt");
    assert!(
        denial.rule.contains("read-only") && denial.rule.contains(":rw"),
        "{}",
        denial.rule
    );

    std::os::unix::fs::symlink("../secret.txt", inner.join("link")).expect("symlink");
    let mut b = captured();
    b.dir(&inner, "/data");
    let o = run("fs.wasm", &["read", "/data/link"], &mut b);
    assert_exit(&o, 1);
    let denial = o
        .denials()
        .find(|e| e.what == "fs.open")
        .expect("escape denial audited");
    assert!(denial.rule.contains("outside its mount"), "{}", denial.rule);
}

/// The fs probe as a preview 1 module and as a preview 2 component.
const FS_GUESTS: [&str; 2] = ["fs.wasm", "fs_p2.wasm"];

#[test]
fn guests_cannot_create_symlinks_by_default() {
    for guest in FS_GUESTS {
        let root = layout();
        let inner = root.path().join("inner");
        for target in ["../secret.txt", "/etc/passwd", "inside.txt"] {
            let mut b = captured();
            b.mount(&inner, "/data", true);
            let o = run(guest, &["symlink", target, "/data/link"], &mut b);
            assert_exit(&o, 1);
            assert!(
                stdout(&o).contains("error: PermissionDenied"),
                "{guest}: {}",
                stdout(&o)
            );
            assert!(
                inner.join("link").symlink_metadata().is_err(),
                "{guest}: no link left on the host"
            );
            let denial = o
                .denials()
                .find(|e| e.what == "fs.symlink")
                .unwrap_or_else(|| panic!("{guest}: audited: {:#?}", o.events));
            assert_eq!(denial.target, format!("/data/link -> {target}"));
            assert!(
                denial.rule.contains("--allow-symlinks")
                    && denial.rule.contains("allow_symlinks = true"),
                "{}",
                denial.rule
            );
        }
    }
    assert_host_healthy();
}

#[test]
fn allowed_symlinks_are_created_but_still_cannot_be_followed_out() {
    for guest in FS_GUESTS {
        let root = layout();
        let inner = root.path().join("inner");
        let mut b = captured();
        b.mount(&inner, "/data", true).allow_symlinks(true);
        let o = run(
            guest,
            &[
                "symlink",
                "../secret.txt",
                "/data/out-link",
                "+",
                "symlink",
                "inside.txt",
                "/data/in-link",
                "+",
                "read",
                "/data/in-link",
            ],
            &mut b,
        );
        assert_exit(&o, 0);
        assert_eq!(stdout(&o), "inside\nok\n", "{guest}");
        // This is the trap the default prevents: a link on the host leading out of the mount.
        assert_eq!(
            fs::read_link(inner.join("out-link")).expect("link created"),
            std::path::Path::new("../secret.txt")
        );
        assert!(
            o.events
                .iter()
                .any(|e| e.what == "fs.symlinks" && e.decision == Decision::Allowed),
            "the grant is audited"
        );
        // Inside the sandbox it still leads nowhere.
        let mut b = captured();
        b.mount(&inner, "/data", true).allow_symlinks(true);
        let o = run(guest, &["read", "/data/out-link"], &mut b);
        assert_exit(&o, 1);
        assert!(!stdout(&o).contains("TOP SECRET"), "{guest} leaked");
        // A read-only mount refuses links whatever the policy says.
        let mut b = captured();
        b.dir(&inner, "/data").allow_symlinks(true);
        let o = run(guest, &["symlink", "inside.txt", "/data/ro-link"], &mut b);
        assert_exit(&o, 1);
        assert!(inner.join("ro-link").symlink_metadata().is_err());
    }
}

#[test]
fn preview2_path_operations_are_audited_like_preview1() {
    let root = layout();
    let inner = root.path().join("inner");
    let mut b = captured();
    b.dir(&inner, "/data");
    let o = run("fs_p2.wasm", &["read", "/data/inside.txt"], &mut b);
    assert_exit(&o, 0);
    assert!(
        o.events.iter().any(|e| e.what == "fs.open"
            && e.target == "/data/inside.txt"
            && e.decision == Decision::Allowed),
        "{:#?}",
        o.events
    );
    let mut b = captured();
    b.dir(&inner, "/data");
    let o = run("fs_p2.wasm", &["mkdir", "/data/sub"], &mut b);
    assert_exit(&o, 1);
    let denial = o
        .denials()
        .find(|e| e.what == "fs.mkdir")
        .expect("mkdir denial audited");
    assert_eq!(denial.target, "/data/sub");
    assert!(denial.rule.contains("read-only"), "{}", denial.rule);
}
