//! Drives the built `nanoproc` binary: exit codes, one-line messages, flags, policy files,
//! audit files, JSON outcomes and `inspect`.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};
use support::{assert_code, guest, nanoproc, own_lines, text};

/// A stopped run prints exactly one `nanoproc: <kind>: <detail>` line naming the flag.
#[track_caller]
fn assert_one_line(o: &Output, kind: &str, flag: &str) {
    let lines: Vec<_> = own_lines(o)
        .into_iter()
        .filter(|l| !l.starts_with("nanoproc: note:"))
        .collect();
    assert_eq!(lines.len(), 1, "exactly one line: {lines:?}");
    assert!(
        lines[0].starts_with(&format!("nanoproc: {kind}: ")),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(flag), "names {flag}: {}", lines[0]);
}

#[test]
fn hello_runs_and_exits_zero() {
    let o = nanoproc(&["run", &guest("hello.wasm")]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "hello from a nano-process\n");
    assert!(own_lines(&o).is_empty());
}

#[test]
fn a_denied_read_fails_and_says_how_to_grant_it() {
    let o = nanoproc(&["run", &guest("cat.wasm"), "--", "/etc/hosts"]);
    assert_code(&o, 1);
    assert!(text(&o.stderr).contains("--dir"), "{}", text(&o.stderr));
    let o = nanoproc(&[
        "run",
        "--dir",
        "/etc::/etc",
        &guest("cat.wasm"),
        "--",
        "/etc/hosts",
    ]);
    assert_code(&o, 0);
    assert!(text(&o.stdout).contains("localhost"));
}

#[test]
fn dir_mounts_are_read_only_unless_rw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let ro = nanoproc(&[
        "run",
        "--dir",
        &format!("{d}::/w"),
        &guest("fs.wasm"),
        "--",
        "write",
        "/w/f",
        "x",
    ]);
    assert_code(&ro, 1);
    assert!(!dir.path().join("f").exists());
    let rw = nanoproc(&[
        "run",
        "--dir",
        &format!("{d}::/w:rw"),
        &guest("fs.wasm"),
        "--",
        "write",
        "/w/f",
        "x",
    ]);
    assert_code(&rw, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f")).expect("written"),
        "x"
    );
}

#[test]
fn env_flags_set_and_pass_through() {
    let o = Command::new(env!("CARGO_BIN_EXE_nanoproc"))
        .args([
            "run",
            "--env",
            "A=1",
            "--env",
            "FROM_HOST",
            &guest("env.wasm"),
        ])
        .env("FROM_HOST", "yes")
        .env("NOT_GRANTED", "secret")
        .output()
        .expect("spawn");
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "A=1\nFROM_HOST=yes\n");
}

#[test]
fn memory_bomb_exits_121() {
    let o = nanoproc(&["run", "--max-memory", "16MiB", &guest("memhog.wasm")]);
    assert_code(&o, 121);
    assert_one_line(&o, "memory limit", "--max-memory");
}

#[test]
fn output_flood_exits_122() {
    let o = nanoproc(&["run", "--max-output", "1MiB", &guest("flood.wasm")]);
    assert_code(&o, 122);
    assert_eq!(o.stdout.len(), 1 << 20);
    assert_one_line(&o, "output limit", "--max-output");
}

#[test]
fn a_trap_exits_123() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wat = dir.path().join("trap.wat");
    std::fs::write(&wat, r#"(module (func (export "_start") unreachable))"#).expect("write");
    let o = nanoproc(&["run", wat.to_str().expect("utf8")]);
    assert_code(&o, 123);
    assert_one_line(&o, "guest trap", "unreachable");
}

#[test]
fn a_tight_loop_under_timeout_exits_124() {
    let started = std::time::Instant::now();
    let o = nanoproc(&["run", "--timeout", "1s", &guest("spin.wasm")]);
    assert_code(&o, 124);
    assert_one_line(&o, "time limit", "--timeout");
    // A bound that only fails if the guest was not interrupted (not a speed test).
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn fuel_exhaustion_exits_124() {
    let o = nanoproc(&["run", "--fuel", "100000", &guest("spin.wasm")]);
    assert_code(&o, 124);
    assert_one_line(&o, "fuel limit", "--fuel");
}

#[test]
fn invalid_input_exits_125_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hello = std::fs::read(guest("hello.wasm")).expect("read");
    let truncated = dir.path().join("truncated.wasm");
    std::fs::write(&truncated, &hello[..hello.len() / 3]).expect("write");
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"MZ\x90\x00 this is not wasm").expect("write");
    for (args, kind) in [
        (
            vec!["run", truncated.to_str().expect("utf8")],
            "invalid module",
        ),
        (
            vec!["run", garbage.to_str().expect("utf8")],
            "invalid module",
        ),
        (vec!["run", "/no/such/file.wasm"], "io error"),
        (
            vec!["run", "--dir", "/no/such/dir", &guest("hello.wasm")],
            "invalid policy",
        ),
        (
            vec!["run", "--allow-net", "nonsense", &guest("hello.wasm")],
            "invalid policy",
        ),
    ] {
        let o = nanoproc(&args);
        assert_code(&o, 125);
        let lines = own_lines(&o);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        assert!(
            lines[0].starts_with(&format!("nanoproc: {kind}: ")),
            "{}",
            lines[0]
        );
    }
    // A bad flag value is invalid input too.
    for args in [
        vec!["run", "--max-memory", "lots", "x.wasm"],
        vec!["run", "--no-such-flag", "x.wasm"],
        vec!["run"],
    ] {
        let o = nanoproc(&args);
        assert_code(&o, 125);
        let lines = own_lines(&o);
        assert_eq!(lines.len(), 1, "{args:?}: {}", text(&o.stderr));
        assert!(
            lines[0].starts_with("nanoproc: invalid input: "),
            "{}",
            lines[0]
        );
        assert_eq!(text(&o.stderr).lines().count(), 1, "nothing but that line");
    }
}

#[test]
fn the_guest_exit_status_passes_through() {
    let o = nanoproc(&["run", &guest("exit.wasm"), "--", "42"]);
    assert_code(&o, 42);
    assert!(
        own_lines(&o)
            .iter()
            .all(|l| l.starts_with("nanoproc: note:"))
    );
}

#[test]
fn json_outcome_and_audit_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.jsonl");
    let o = nanoproc(&[
        "run",
        "--json",
        "--timeout",
        "1s",
        "--audit",
        audit.to_str().expect("utf8"),
        &guest("spin.wasm"),
    ]);
    assert_code(&o, 124);
    let last = text(&o.stderr)
        .lines()
        .last()
        .expect("a json line")
        .to_string();
    let v: serde_json::Value = serde_json::from_str(&last).expect("json outcome");
    assert_eq!(v["status"], "stopped");
    assert_eq!(v["exit_code"], 124);
    assert_eq!(v["error"]["kind"], "time limit");
    assert!(
        v["usage"]["wall_time"]
            .as_f64()
            .is_some_and(|ms| ms >= 900.0)
    );
    let events = std::fs::read_to_string(&audit).expect("audit file");
    assert!(
        events.lines().any(|l| l.contains("\"limit.timeout\"")),
        "{events}"
    );
}

#[test]
fn policy_file_with_flag_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("data")).expect("mkdir");
    std::fs::write(dir.path().join("data/note.txt"), "from the policy\n").expect("write");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "dirs = [{ host = \"data\", guest = \"/data\" }]\nenvironment = { A = \"file\" }\n[limits]\nmax_memory = \"8MiB\"\n",
    )
    .expect("write");
    let p = policy.to_str().expect("utf8");
    let o = nanoproc(&[
        "run",
        "--policy",
        p,
        &guest("cat.wasm"),
        "--",
        "/data/note.txt",
    ]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "from the policy\n");
    // The file's 8 MiB stops the memory bomb; a flag raises nothing it does not name.
    let o = nanoproc(&["run", "--policy", p, &guest("memhog.wasm")]);
    assert_code(&o, 121);
    assert!(text(&o.stderr).contains("8 MiB"), "{}", text(&o.stderr));
    let o = nanoproc(&["run", "--policy", p, "--env", "A=flag", &guest("env.wasm")]);
    assert_eq!(text(&o.stdout), "A=flag\n");
    // An unknown key is invalid input with a suggestion.
    std::fs::write(&policy, "[limits]\nmax_memroy = \"8MiB\"\n").expect("write");
    let o = nanoproc(&["run", "--policy", p, &guest("hello.wasm")]);
    assert_code(&o, 125);
    assert!(
        text(&o.stderr).contains("did you mean `max_memory`?"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn inspect_groups_imports_and_names_needed_flags() {
    let o = nanoproc(&["inspect", &guest("cat.wasm")]);
    assert_code(&o, 0);
    let out = text(&o.stdout);
    assert!(out.contains("kind:    core module"), "{out}");
    assert!(out.contains("filesystem"), "{out}");
    assert!(out.contains("--dir"), "{out}");
    let o = nanoproc(&["inspect", "--json", &guest("net_p2.wasm")]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["kind"], "component");
    assert!(
        v["imports"]["sockets"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(v["needs"].to_string().contains("--allow-net"));
    assert_eq!(v["sha256"].as_str().map(str::len), Some(64));
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x05\xff").expect("write");
    let o = nanoproc(&["inspect", bad.to_str().expect("utf8")]);
    assert_code(&o, 125);
    assert_eq!(own_lines(&o).len(), 1);
}

fn plugin(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins/bin")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn call_writes_the_output_bytes() {
    let o = nanoproc(&[
        "call",
        &plugin("count_vowels.wasm"),
        "count_vowels",
        "--input",
        "Hello, World!",
    ]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["count"], 3);
    let o = nanoproc(&[
        "call",
        "--config",
        "vowels=l",
        &plugin("count_vowels.wasm"),
        "count_vowels",
        "-i",
        "Hello",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["count"], 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.bin");
    std::fs::write(&input, [0u8, 1, 2, 255]).expect("write");
    let o = nanoproc(&[
        "call",
        &plugin("echo.wasm"),
        "echo",
        "--input-file",
        input.to_str().expect("utf8"),
    ]);
    assert_code(&o, 0);
    assert_eq!(o.stdout, [0u8, 1, 2, 255]);
}

#[test]
fn call_uses_the_same_exit_codes_as_run() {
    let echo = plugin("echo.wasm");
    let o = nanoproc(&["call", &echo, "fail"]);
    assert_code(&o, 1);
    assert_one_line(&o, "plugin error", "failing on purpose");
    let o = nanoproc(&["call", &echo, "trap"]);
    assert_code(&o, 123);
    let o = nanoproc(&["call", "--timeout", "300ms", &echo, "spin"]);
    assert_code(&o, 124);
    assert_one_line(&o, "time limit", "--timeout");
    let o = nanoproc(&["call", "--fuel", "100000", &echo, "spin"]);
    assert_code(&o, 124);
    let o = nanoproc(&["call", "--max-memory", "16MiB", &echo, "grow"]);
    assert_code(&o, 121);
    assert_one_line(&o, "memory limit", "--max-memory");
    let o = nanoproc(&["call", &plugin("ungranted_host.wasm"), "run"]);
    assert_code(&o, 125);
    assert_one_line(&o, "denied", "host::launch_missiles");
    let o = nanoproc(&["call", &guest("hello.wasm"), "echo"]);
    assert_code(&o, 125);
    assert_one_line(&o, "invalid module", "nanoproc_alloc");
}

#[test]
fn call_runs_the_copy_file_demo_under_a_fuel_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("in")).expect("mkdir");
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    std::fs::write(dir.path().join("in/a.txt"), "seed demo\n").expect("write");
    let d = dir.path().display();
    let o = nanoproc(&[
        "call",
        "--dir",
        &format!("{d}/in::/in"),
        "--dir",
        &format!("{d}/out::/out:rw"),
        "--fuel",
        "5000000",
        &plugin("copy_file.wasm"),
        "copy_file",
        "-i",
        r#"{"from":"/in/a.txt","to":"/out/b.txt"}"#,
    ]);
    assert_code(&o, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/b.txt")).expect("copied"),
        "seed demo\n"
    );
}

#[test]
fn disk_quota_refuses_the_next_byte_and_notes_how_to_raise_it() {
    for g in ["fs.wasm", "fs_p2.wasm"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().display().to_string();
        let out = format!("{d}::/out:rw");
        let o = nanoproc(&[
            "run",
            "--json",
            "--dir",
            &out,
            "--disk-quota",
            "10000",
            &guest(g),
            "--",
            "fill",
            "/out/a",
            "9999",
            "+",
            "append",
            "/out/a",
            "1",
        ]);
        assert_code(&o, 0);
        let json = text(&o.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        let v: serde_json::Value = serde_json::from_str(&json).expect("json outcome");
        assert_eq!(v["usage"]["disk_bytes_added"], 10000, "{g}");
        // A fresh run has a fresh quota; one byte past it fails with a note.
        let o = nanoproc(&[
            "run",
            "--dir",
            &out,
            "--disk-quota",
            "10KB",
            &guest(g),
            "--",
            "append",
            "/out/a",
            "10001",
        ]);
        assert_code(&o, 1);
        assert_eq!(
            std::fs::metadata(dir.path().join("a")).expect("a").len(),
            10000 + 8192,
            "{g}: the chunk that did not fit was not written"
        );
        let notes = own_lines(&o);
        assert!(
            notes.iter().any(
                |l| l.starts_with("nanoproc: note: denied limit.disk `/out/a`")
                    && l.contains("--disk-quota")
            ),
            "{g}: {notes:?}"
        );
    }
    let o = nanoproc(&["run", "--disk-quota", "lots", &guest("hello.wasm")]);
    assert_code(&o, 125);
}

#[test]
fn max_fds_caps_open_descriptors() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("f"), "x").expect("write");
    let d = format!("{}::/d", dir.path().display());
    for g in ["fs.wasm", "fs_p2.wasm"] {
        let o = nanoproc(&[
            "run",
            "--json",
            "--dir",
            &d,
            "--max-fds",
            "4",
            &guest(g),
            "--",
            "open-many",
            "/d/f",
            "10",
        ]);
        assert_code(&o, 1);
        assert!(
            text(&o.stdout).starts_with("opened 4\n"),
            "{}",
            text(&o.stdout)
        );
        assert!(
            own_lines(&o)
                .iter()
                .any(|l| l.starts_with("nanoproc: note: denied limit.fds")
                    && l.contains("--max-fds")),
            "{:?}",
            own_lines(&o)
        );
        let json = text(&o.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        let v: serde_json::Value = serde_json::from_str(&json).expect("json outcome");
        assert_eq!(v["usage"]["peak_fds"], 4, "{g}");
        let o = nanoproc(&[
            "run",
            "--dir",
            &d,
            "--max-fds",
            "1",
            &guest(g),
            "--",
            "open-close",
            "/d/f",
            "20",
        ]);
        assert_code(&o, 0);
    }
}

#[test]
fn symlinks_need_allow_symlinks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = format!("{}::/w:rw", dir.path().display());
    let g = guest("fs.wasm");
    let link = ["--", "symlink", "../../etc/passwd", "/w/trap"];
    let mut args = vec!["run", "--dir", &d, &g];
    args.extend(link);
    let o = nanoproc(&args);
    assert_code(&o, 1);
    assert!(dir.path().join("trap").symlink_metadata().is_err());
    assert!(
        own_lines(&o)
            .iter()
            .any(|l| l.starts_with("nanoproc: note: denied fs.symlink")
                && l.contains("--allow-symlinks")),
        "{:?}",
        own_lines(&o)
    );
    let mut args = vec!["run", "--dir", &d, "--allow-symlinks", &g];
    args.extend(link);
    let o = nanoproc(&args);
    assert_code(&o, 0);
    assert!(dir.path().join("trap").symlink_metadata().is_ok());
}

#[test]
fn policy_file_sets_the_new_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "dirs = [{ host = \"out\", guest = \"/out\", writable = true }]\nallow_symlinks = true\n[limits]\ndisk_quota = \"4KiB\"\nmax_fds = 2\n",
    )
    .expect("write");
    let p = policy.to_str().expect("utf8");
    let run = |args: &[&str]| {
        let mut a = vec!["run", "--policy", p];
        a.extend_from_slice(args);
        nanoproc(&a)
    };
    let fs = guest("fs.wasm");
    let o = run(&[
        &fs, "--", "fill", "/out/a", "4096", "+", "symlink", "a", "/out/l",
    ]);
    assert_code(&o, 0);
    // Each run has the whole quota: 4 KiB fits, one byte more does not.
    let o = run(&[
        &fs, "--", "append", "/out/a", "4096", "+", "append", "/out/a", "1",
    ]);
    assert_code(&o, 1);
    let o = run(&[&fs, "--", "open-many", "/out/a", "3"]);
    assert_code(&o, 1);
    assert!(
        text(&o.stdout).starts_with("opened 2\n"),
        "{}",
        text(&o.stdout)
    );
    // Flags override the file.
    let o = run(&[
        "--disk-quota",
        "8KiB",
        "--max-fds",
        "3",
        &fs,
        "--",
        "append",
        "/out/a",
        "8192",
        "+",
        "open-many",
        "/out/a",
        "3",
    ]);
    assert_code(&o, 0);
    std::fs::write(&policy, "[limits]\ndisk_qouta = \"4KiB\"\n").expect("write");
    let o = run(&[&guest("hello.wasm")]);
    assert_code(&o, 125);
    assert!(
        text(&o.stderr).contains("did you mean `disk_quota`?"),
        "{}",
        text(&o.stderr)
    );
}

fn component(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/components/bin")
        .join(name)
        .display()
        .to_string()
}

/// A server on 127.0.0.1 answering every request with `reply` (`None`: never answering).
fn http_server(reply: Option<&'static [u8]>) -> u16 {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match conn.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                match reply {
                    Some(r) => {
                        let _ = conn.write_all(r);
                    }
                    None => std::thread::sleep(std::time::Duration::from_secs(60)),
                }
            });
        }
    });
    port
}

const HELLO: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";

#[test]
fn http_requests_need_allow_http() {
    let port = http_server(Some(HELLO));
    let url = format!("http://127.0.0.1:{port}/");
    let audit = tempfile::NamedTempFile::new().expect("audit file");
    let audit_path = audit.path().display().to_string();
    let o = nanoproc(&[
        "run",
        "--audit",
        &audit_path,
        &component("http_get.wasm"),
        "--",
        &url,
    ]);
    assert_code(&o, 1);
    assert!(
        text(&o.stderr).contains("HttpRequestDenied"),
        "{}",
        text(&o.stderr)
    );
    let trail = std::fs::read_to_string(audit.path()).expect("audit");
    assert!(
        trail.contains(r#""what":"http.request""#) && trail.contains("--allow-http"),
        "{trail}"
    );

    let origin = format!("http://127.0.0.1:{port}");
    let o = nanoproc(&[
        "run",
        "--allow-http",
        &origin,
        &component("http_get.wasm"),
        "--",
        &url,
    ]);
    assert_code(&o, 0);
    assert_eq!(text(&o.stdout), "200\nhello");
}

#[test]
fn http_limits_have_flags() {
    let stalled = http_server(None);
    let origin = format!("http://127.0.0.1:{stalled}");
    let o = nanoproc(&[
        "run",
        "--allow-http",
        &origin,
        "--http-timeout",
        "200ms",
        &component("http_get.wasm"),
        "--",
        &format!("{origin}/"),
    ]);
    assert_code(&o, 1);
    assert!(text(&o.stderr).contains("Timeout"), "{}", text(&o.stderr));

    let big = http_server(Some(b"HTTP/1.1 200 OK\r\ncontent-length: 4096\r\n\r\n"));
    let origin = format!("http://127.0.0.1:{big}");
    let o = nanoproc(&[
        "run",
        "--allow-http",
        &origin,
        "--max-http-response",
        "1KiB",
        &component("http_get.wasm"),
        "--",
        &format!("{origin}/"),
    ]);
    assert_code(&o, 1);
    assert!(
        text(&o.stderr).contains("HttpResponseBodySize"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn bad_http_origins_and_interface_names_are_invalid_policy() {
    let o = nanoproc(&["run", "--allow-http", "ftp://x", &guest("hello.wasm")]);
    assert_code(&o, 125);
    assert_one_line(&o, "invalid policy", "--allow-http");
    let o = nanoproc(&["run", "--deny-wasi", "keyvalue", &guest("hello.wasm")]);
    assert_code(&o, 125);
    assert_one_line(&o, "invalid policy", "--deny-wasi");
    assert!(
        text(&o.stderr).contains("ip-name-lookup"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn switched_off_interfaces_are_refused_at_load() {
    let o = nanoproc(&[
        "run",
        "--deny-wasi",
        "http",
        &component("http_get.wasm"),
        "--",
        "http://127.0.0.1:9/",
    ]);
    assert_code(&o, 125);
    assert_one_line(&o, "denied", "--allow-wasi http");
    assert!(
        text(&o.stderr).contains("wasi:http/"),
        "{}",
        text(&o.stderr)
    );

    let o = nanoproc(&["run", "--deny-wasi", "sockets", &guest("net_p2.wasm")]);
    assert_code(&o, 125);
    assert_one_line(&o, "denied", "wasi:sockets/");

    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.toml");
    std::fs::write(&policy, "[wasi]\nhttp = false\n").expect("write policy");
    let policy = policy.display().to_string();
    let o = nanoproc(&[
        "run",
        "--policy",
        &policy,
        &component("http_get.wasm"),
        "--",
        "http://127.0.0.1:9/",
    ]);
    assert_code(&o, 125);
    assert_one_line(&o, "denied", "wasi.http = true");
    // The flag wins over the file: the component loads, and its request is denied.
    let o = nanoproc(&[
        "run",
        "--policy",
        &policy,
        "--allow-wasi",
        "http",
        &component("http_get.wasm"),
        "--",
        "http://127.0.0.1:9/",
    ]);
    assert_code(&o, 1);
    assert!(
        text(&o.stderr).contains("HttpRequestDenied"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn unknown_component_interfaces_are_refused() {
    let o = nanoproc(&["run", &component("missiles.wasm")]);
    assert_code(&o, 125);
    assert_one_line(&o, "denied", "acme:missiles/launch");
}

/// What a policy file or a guest wrote is quoted in error lines, but never reaches the
/// terminal raw: control characters (terminal escapes, carriage returns) are escaped.
#[test]
fn error_lines_escape_control_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("evil.toml");
    // TOML escapes: the key the parser sees holds real ESC characters.
    std::fs::write(&policy, "\"max\\u001b[2J\\u001b[31m\" = 1\n").expect("write policy");
    let o = nanoproc(&[
        "run",
        "--policy",
        policy.to_str().expect("utf-8 path"),
        &guest("hello.wasm"),
    ]);
    assert_code(&o, 125);
    let stderr = text(&o.stderr);
    assert!(
        !stderr.contains('\u{1b}'),
        "a raw escape reached stderr: {stderr:?}"
    );
    assert!(stderr.contains("\\u{1b}[2J"), "{stderr}");
}
