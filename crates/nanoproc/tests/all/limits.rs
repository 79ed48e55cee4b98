//! Limits stop the guest with the right error, and the host keeps running guests.

use super::*;
use nanoproc::{Error, LimitKind};
use std::time::{Duration, Instant};

#[track_caller]
fn assert_limit(o: &Outcome, kind: LimitKind) {
    match &o.status {
        Status::Stopped(Error::LimitExceeded { kind: k, .. }) if *k == kind => {}
        other => panic!(
            "expected {kind:?} limit, got {other:?}\nstderr: {}",
            stderr(o)
        ),
    }
    assert!(
        o.denials().any(|e| e.what.starts_with("limit.")),
        "the limit hit is audited"
    );
}

#[test]
fn memory_bomb_hits_the_budget() {
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run("memhog.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Memory);
    assert_eq!(o.exit_code(), 121);
    assert!(o.usage.peak_memory_bytes <= 16 << 20);
    assert_host_healthy();
}

#[test]
fn the_budget_covers_all_memories_together() {
    // Eight memories of 4 MiB each: every one is under 16 MiB, all together are not.
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run("multimem.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Memory);
    // With room for all of them it runs.
    let mut b = captured();
    b.max_memory(40 << 20);
    let o = run("multimem.wasm", &[], &mut b);
    assert_exit(&o, 0);
    assert!(o.usage.peak_memory_bytes >= 32 << 20);
}

#[test]
fn tables_count_against_the_budget() {
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run("tablebomb.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Memory);
    assert_host_healthy();
}

#[test]
fn a_tight_loop_is_stopped_by_the_timeout() {
    let mut b = captured();
    b.timeout(Some(Duration::from_secs(1)));
    let started = Instant::now();
    let o = run("spin.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Timeout);
    assert_eq!(o.exit_code(), 124);
    // Not a performance assertion: a generous bound that fails only if the loop was not interrupted.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_host_healthy();
}

#[test]
fn a_guest_blocked_in_a_host_call_is_stopped_by_the_timeout() {
    let mut b = captured();
    b.timeout(Some(Duration::from_secs(1)));
    let started = Instant::now();
    let o = run("sleep.wasm", &["3600"], &mut b);
    assert_limit(&o, LimitKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_host_healthy();
}

#[test]
fn fuel_runs_out() {
    let mut b = captured();
    b.fuel(Some(1_000_000));
    let o = run_on(fuel_engine(), "spin.wasm", &[], &mut b);
    assert_limit(&o, LimitKind::Fuel);
    assert_eq!(o.exit_code(), 124);
    assert_eq!(o.usage.fuel_consumed, Some(1_000_000));
    // Enough fuel: hello runs and reports what it used.
    let mut b = captured();
    b.fuel(Some(10_000_000));
    let o = run_on(fuel_engine(), "hello.wasm", &[], &mut b);
    assert_exit(&o, 0);
    assert!(
        o.usage
            .fuel_consumed
            .is_some_and(|f| f > 0 && f < 10_000_000)
    );
}

#[test]
fn fuel_needs_a_fuel_engine() {
    let mut b = captured();
    b.fuel(Some(1000));
    let policy = b.build().expect("policy");
    let loaded = loader::load_file(engine(), &guest("hello.wasm")).expect("loads");
    assert!(matches!(
        Prepared::new(engine(), &loaded, policy),
        Err(Error::InvalidPolicy(_))
    ));
}

#[test]
fn an_output_flood_is_capped_exactly() {
    for guest in ["flood.wasm", "flood_c.wasm"] {
        let mut b = captured();
        b.max_output(Some(64 * 1024));
        let o = run(guest, &[], &mut b);
        assert_limit(&o, LimitKind::Output);
        assert_eq!(o.exit_code(), 122);
        assert_eq!(
            o.stdout.len(),
            64 * 1024,
            "{guest}: exactly the cap is delivered"
        );
    }
    assert_host_healthy();
}

#[test]
fn traps_are_reported_with_their_kind() {
    let o = run_wat(
        r#"(module (func (export "_start") unreachable))"#,
        &mut captured(),
    );
    match &o.status {
        Status::Stopped(Error::Trap(t)) => assert_eq!(t.code, "unreachable_code_reached"),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(o.exit_code(), 123);
    let o = run_wat(
        r#"(module (func $f (export "_start") call $f))"#,
        &mut captured(),
    );
    match &o.status {
        Status::Stopped(Error::Trap(t)) => assert_eq!(t.code, "stack_overflow"),
        other => panic!("expected a stack overflow, got {other:?}"),
    }
    let o = run_wat(
        r#"(module (memory 1) (func (export "_start") i32.const 0x7fffffff i32.load drop))"#,
        &mut captured(),
    );
    match &o.status {
        Status::Stopped(Error::Trap(t)) => assert_eq!(t.code, "memory_out_of_bounds"),
        other => panic!("expected an out-of-bounds trap, got {other:?}"),
    }
    assert_host_healthy();
}

#[test]
fn an_initial_memory_over_the_budget_fails_at_instantiation() {
    let mut b = captured();
    b.max_memory(1 << 20);
    let o = run_wat(r#"(module (memory 100) (func (export "_start")))"#, &mut b);
    assert_limit(&o, LimitKind::Memory);
}

/// Regression: a failed `table.grow` whose new size overflows used to refund the previous
/// (successful) charge, so alternating the two grew a table far past the budget.
#[test]
fn failed_growths_cannot_refund_successful_ones() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (table $t i64 0 funcref) (memory (export "memory") 1)
      (func (export "_start") (local $i i32)
        (loop $l
          (if (i64.eq (table.grow $t (ref.null func) (i64.const 1000000)) (i64.const -1))
            (then (call $exit (i32.const 3))))
          (drop (table.grow $t (ref.null func) (i64.const -1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 40))))
        (call $exit (i32.wrap_i64 (i64.div_u (table.size $t) (i64.const 1000000))))))"#;
    let mut b = captured();
    b.max_memory(16 << 20);
    let o = run_wat(wat, &mut b);
    assert_limit(&o, LimitKind::Memory);
    assert!(o.usage.peak_memory_bytes <= 16 << 20);
    assert_host_healthy();
}

// ---------------------------------------------------------------------------------------
// Disk quota and descriptor cap: both WASI versions, and plugins.

/// The fs probe as a preview 1 module and as a preview 2 component.
const FS_GUESTS: [&str; 2] = ["fs.wasm", "fs_p2.wasm"];

/// A writable mount at `/out` over a fresh host directory.
fn writable_out(b: &mut PolicyBuilder) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    b.mount(dir.path(), "/out", true);
    dir
}

fn file_len(dir: &tempfile::TempDir, name: &str) -> u64 {
    std::fs::metadata(dir.path().join(name))
        .map(|m| m.len())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The run failed (exit 1) on a write the disk quota refused, with the refusal audited.
#[track_caller]
fn assert_quota_refused(o: &Outcome, guest: &str, target: &str) {
    assert_exit(o, 1);
    // Preview 1 guests get ENOSPC. wasi-libc on preview 2 writes files through streams and
    // reports any failed stream write as EIO without asking `filesystem-error-code` (which
    // answers `insufficient-space`); `set-size` failures do arrive as ENOSPC.
    let last = stdout(o).lines().last().unwrap_or_default().to_string();
    if guest == "fs.wasm" {
        assert!(last.starts_with("error: StorageFull"), "{guest}: {last}");
    } else {
        assert!(last.starts_with("error: "), "{guest}: {last}");
    }
    let denial = o
        .denials()
        .find(|e| e.what == "limit.disk")
        .unwrap_or_else(|| panic!("{guest}: quota denial audited: {:#?}", o.events));
    assert_eq!(denial.target, target, "{guest}");
    assert!(
        denial.rule.contains("--disk-quota") && denial.rule.contains("limits.disk_quota"),
        "{}",
        denial.rule
    );
}

#[test]
fn the_disk_quota_is_exact() {
    for guest in FS_GUESTS {
        // Exactly the quota fits: 9,999 bytes, then 1 more.
        let mut b = captured();
        b.disk_quota(Some(10_000));
        let out = writable_out(&mut b);
        let o = run(
            guest,
            &["fill", "/out/a", "9999", "+", "append", "/out/a", "1"],
            &mut b,
        );
        assert_exit(&o, 0);
        assert_eq!(file_len(&out, "a"), 10_000, "{guest}");
        assert_eq!(o.usage.disk_bytes_added, Some(10_000), "{guest}");

        // The next byte fails and writes nothing.
        let mut b = captured();
        b.disk_quota(Some(10_000));
        let out = writable_out(&mut b);
        let o = run(
            guest,
            &[
                "fill", "/out/a", "9999", "+", "append", "/out/a", "1", "+", "append", "/out/a",
                "1",
            ],
            &mut b,
        );
        assert_quota_refused(&o, guest, "/out/a");
        assert_eq!(
            file_len(&out, "a"),
            10_000,
            "{guest}: nothing past the quota"
        );
        assert!(stdout(&o).contains("wrote 1\nwrote 0\n"), "{}", stdout(&o));
        assert_eq!(o.usage.disk_bytes_added, Some(10_000), "{guest}");
    }
    assert_host_healthy();
}

#[test]
fn a_write_that_does_not_fit_fails_whole_and_smaller_ones_still_fit() {
    for guest in FS_GUESTS {
        // 4096 + 4096 fit in 10,000; the third chunk (1,809 bytes) does not and is refused
        // entirely; 1,808 bytes would still have fit.
        let mut b = captured();
        b.disk_quota(Some(10_000));
        let out = writable_out(&mut b);
        let o = run(guest, &["fill", "/out/big", "10001"], &mut b);
        assert_quota_refused(&o, guest, "/out/big");
        assert!(stdout(&o).contains("wrote 8192\n"), "{}", stdout(&o));
        assert_eq!(file_len(&out, "big"), 8192, "{guest}");
        let mut b = captured();
        b.disk_quota(Some(10_000));
        let out = writable_out(&mut b);
        let o = run(
            guest,
            &[
                "fill", "/out/big", "8192", "+", "append", "/out/big", "1808",
            ],
            &mut b,
        );
        assert_exit(&o, 0);
        assert_eq!(file_len(&out, "big"), 10_000, "{guest}");
    }
}

#[test]
fn truncating_and_deleting_give_no_quota_back() {
    for guest in FS_GUESTS {
        // 6,000 written, truncated to 0 (ftruncate), rewritten with O_TRUNC, deleted: every
        // byte written counts, so the quota of 10,000 is used up.
        let mut b = captured();
        b.disk_quota(Some(10_000));
        let out = writable_out(&mut b);
        let o = run(
            guest,
            &[
                "fill", "/out/a", "6000", "+", "truncate", "/out/a", "0", "+", "fill", "/out/a",
                "4000", "+", "rm", "/out/a", "+", "fill", "/out/b", "1",
            ],
            &mut b,
        );
        assert_quota_refused(&o, guest, "/out/b");
        assert!(!out.path().join("a").exists());
        assert_eq!(file_len(&out, "b"), 0, "{guest}: created, nothing written");
        assert_eq!(o.usage.disk_bytes_added, Some(10_000), "{guest}");
    }
}

#[test]
fn overwriting_in_place_is_free_and_growth_by_any_route_is_charged() {
    for guest in FS_GUESTS {
        let mut b = captured();
        b.disk_quota(Some(5));
        let out = writable_out(&mut b);
        std::fs::write(out.path().join("a"), vec![b'o'; 10_000]).expect("seed");
        // Rewriting all 10,000 existing bytes costs nothing; growing by 5 with ftruncate uses
        // the whole quota.
        let o = run(
            guest,
            &[
                "pwrite", "/out/a", "0", "10000", "+", "truncate", "/out/a", "10005",
            ],
            &mut b,
        );
        assert_exit(&o, 0);
        assert_eq!(file_len(&out, "a"), 10_005, "{guest}");
        assert_eq!(o.usage.disk_bytes_added, Some(5), "{guest}");
        // A fresh run has a fresh quota of 5; each way to grow the 10,005-byte file by 6 or
        // more is refused: ftruncate, a write straddling the end (5 bytes overwritten, 6 past
        // it), a write far past the end (the sparse hole counts), appending.
        for args in [
            vec!["truncate", "/out/a", "10011"],
            vec!["pwrite", "/out/a", "10000", "11"],
            vec!["pwrite", "/out/a", "20000", "1"],
            vec!["append", "/out/a", "6"],
        ] {
            let mut b = captured();
            b.disk_quota(Some(5)).mount(out.path(), "/out", true);
            let o = run(guest, &args, &mut b);
            assert_quota_refused(&o, guest, "/out/a");
            assert_eq!(file_len(&out, "a"), 10_005, "{guest} {args:?}");
        }
        let data = std::fs::read(out.path().join("a")).expect("read back");
        assert!(data[..10_000].iter().all(|&c| c == b'x'), "{guest}");
    }
    assert_host_healthy();
}

#[test]
fn without_a_quota_nothing_is_counted_or_refused() {
    for guest in FS_GUESTS {
        let mut b = captured();
        let out = writable_out(&mut b);
        let o = run(guest, &["fill", "/out/a", "100000"], &mut b);
        assert_exit(&o, 0);
        assert_eq!(file_len(&out, "a"), 100_000);
        assert_eq!(o.usage.disk_bytes_added, None);
        assert!(o.denials().next().is_none(), "{:#?}", o.events);
    }
}

#[test]
fn the_quota_does_not_touch_stdout_or_read_only_mounts() {
    let mut b = captured();
    b.disk_quota(Some(0));
    let o = run("hello.wasm", &[], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "hello from a nano-process\n");
    // A read-only mount still says "read-only", not "no space".
    let root = tempfile::tempdir().expect("tempdir");
    for guest in FS_GUESTS {
        let mut b = captured();
        b.disk_quota(Some(0)).dir(root.path(), "/ro");
        let o = run(guest, &["fill", "/ro/a", "1"], &mut b);
        assert_exit(&o, 1);
        assert!(
            stdout(&o).contains("PermissionDenied"),
            "{guest}: {}",
            stdout(&o)
        );
        assert!(!o.denials().any(|e| e.what == "limit.disk"));
    }
}

#[test]
fn plugins_share_the_disk_quota_rules() {
    use super::plugins::plugin;
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("in")).expect("mkdir");
    std::fs::create_dir(root.path().join("out")).expect("mkdir");
    std::fs::write(root.path().join("in/a.txt"), "copied by a plugin\n").expect("write");
    let copy = br#"{"from":"/in/a.txt","to":"/out/b.txt"}"#;
    let policy = |quota| {
        let mut b = Policy::builder();
        b.dir(root.path().join("in"), "/in")
            .mount(root.path().join("out"), "/out", true)
            .disk_quota(Some(quota));
        b.build().expect("policy")
    };
    // 19 bytes fit in 19, not in 18.
    let p = plugin("copy_file.wasm", policy(19));
    p.call("copy_file", copy).expect("fits exactly");
    assert_eq!(
        std::fs::read_to_string(root.path().join("out/b.txt")).expect("copied"),
        "copied by a plugin\n"
    );
    std::fs::remove_file(root.path().join("out/b.txt")).expect("rm");
    let p = plugin("copy_file.wasm", policy(18));
    let err = p.call("copy_file", copy).expect_err("one byte over");
    assert!(matches!(err, Error::Guest(_)), "{err:?}");
    assert!(err.to_string().contains("space"), "{err}");
    assert_eq!(
        std::fs::metadata(root.path().join("out/b.txt"))
            .map(|m| m.len())
            .unwrap_or(0),
        0
    );
}

#[test]
fn the_descriptor_cap_refuses_the_next_open() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::write(root.path().join("f"), "x").expect("write");
    for (guest, errno) in [
        ("fs.wasm", "(os error 33)"),
        ("fs_p2.wasm", "(os error 48)"),
    ] {
        let mut b = captured();
        b.max_fds(3).dir(root.path(), "/d");
        let o = run(guest, &["open-many", "/d/f", "10"], &mut b);
        assert_exit(&o, 1);
        assert!(
            stdout(&o).starts_with("opened 3\n"),
            "{guest}: {}",
            stdout(&o)
        );
        assert!(stdout(&o).contains(errno), "{guest}: {}", stdout(&o));
        assert_eq!(o.usage.peak_fds, 3, "{guest}");
        let denial = o
            .denials()
            .find(|e| e.what == "limit.fds")
            .expect("fd denial audited");
        assert_eq!(denial.target, "/d/f");
        assert!(
            denial.rule.contains("--max-fds") && denial.rule.contains("limits.max_fds"),
            "{}",
            denial.rule
        );
        // Closing frees the slot: 50 opens one after another are fine under a cap of 1.
        let mut b = captured();
        b.max_fds(1).dir(root.path(), "/d");
        let o = run(guest, &["open-close", "/d/f", "50"], &mut b);
        assert_exit(&o, 0);
        assert_eq!(o.usage.peak_fds, 1, "{guest}");
        // A cap of 0 refuses every open, while stdio and the mount itself still work.
        let mut b = captured();
        b.max_fds(0).dir(root.path(), "/d");
        let o = run(guest, &["read", "/d/f"], &mut b);
        assert_exit(&o, 1);
        assert!(o.denials().any(|e| e.what == "limit.fds"), "{guest}");
    }
    let mut b = captured();
    b.max_fds(0);
    let o = run("hello.wasm", &[], &mut b);
    assert_exit(&o, 0);
    assert_host_healthy();
}

#[test]
fn the_default_descriptor_cap_is_generous_and_bounded() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::write(root.path().join("f"), "x").expect("write");
    assert_eq!(
        Policy::default().limits().max_fds,
        nanoproc::policy::DEFAULT_MAX_FDS
    );
    for guest in FS_GUESTS {
        let mut b = captured();
        b.dir(root.path(), "/d");
        let o = run(guest, &["open-many", "/d/f", "1024"], &mut b);
        assert_exit(&o, 0);
        assert_eq!(o.usage.peak_fds, 1024, "{guest}");
        let mut b = captured();
        b.dir(root.path(), "/d");
        let o = run(guest, &["open-many", "/d/f", "1025"], &mut b);
        assert_exit(&o, 1);
        assert!(stdout(&o).starts_with("opened 1024\n"), "{guest}");
    }
    assert_host_healthy();
}

#[test]
fn sockets_count_against_the_descriptor_cap() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr").to_string();
    // No slot left: creating the socket fails before any connect is attempted.
    let mut b = captured();
    b.allow_net(&addr).expect("pattern").max_fds(0);
    let o = run("net_p2.wasm", &[&addr], &mut b);
    assert_exit(&o, 1);
    assert!(!stdout(&o).contains("connected"));
    let denial = o
        .denials()
        .find(|e| e.what == "limit.fds")
        .expect("socket refusal audited");
    assert_eq!(denial.target, "tcp socket");
    assert!(!o.events.iter().any(|e| e.what == "net.connect"));
    // One slot is enough for one socket.
    let mut b = captured();
    b.allow_net(&addr).expect("pattern").max_fds(1);
    let o = run("net_p2.wasm", &[&addr], &mut b);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("connected"));
    assert_eq!(o.usage.peak_fds, 1);
}

/// Opens `a` in the only mount (fd 3) for writing, renumbers it onto fd 1 (stdout), writes
/// `hello` through fd 1 and opens `a` again. Exits with 2 if the write failed with `nospc`
/// (51) plus 1 if the second open failed with `mfile` (33); 120–123 for anything else.
const RENUMBER_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "a")
  (data (i32.const 16) "\20\00\00\00\05\00\00\00")
  (data (i32.const 32) "hello")
  (func $open_a (result i32)
    ;; O_CREAT, rights fd_write; the new fd lands at 8
    (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 1)
      (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8)))
  (func (export "_start") (local $w i32) (local $o i32)
    (if (call $open_a) (then (call $exit (i32.const 120))))
    (if (call $renumber (i32.load (i32.const 8)) (i32.const 1))
      (then (call $exit (i32.const 121))))
    (local.set $w (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 12)))
    (local.set $o (call $open_a))
    (if (i32.and (i32.ne (local.get $w) (i32.const 0)) (i32.ne (local.get $w) (i32.const 51)))
      (then (call $exit (i32.const 122))))
    (if (i32.and (i32.ne (local.get $o) (i32.const 0)) (i32.ne (local.get $o) (i32.const 33)))
      (then (call $exit (i32.const 123))))
    (call $exit (i32.add (i32.mul (i32.eq (local.get $w) (i32.const 51)) (i32.const 2))
                         (i32.eq (local.get $o) (i32.const 33))))))"#;

#[test]
fn renumbering_a_file_onto_stdout_keeps_its_quota_and_its_slot() {
    // Quota 4 and one slot: the write through fd 1 is still charged (nospc = 51), and the
    // renumbered file still holds the only slot (mfile = 33).
    let mut b = captured();
    b.disk_quota(Some(4)).max_fds(1);
    let out = writable_out(&mut b);
    let o = run_wat(RENUMBER_WAT, &mut b);
    assert_exit(&o, 3);
    assert_eq!(file_len(&out, "a"), 0);
    assert!(
        o.denials()
            .any(|e| e.what == "limit.disk" && e.target == "/out/a")
    );
    // Quota 5 and two slots: both succeed.
    let mut b = captured();
    b.disk_quota(Some(5)).max_fds(2);
    let out = writable_out(&mut b);
    let o = run_wat(RENUMBER_WAT, &mut b);
    assert_exit(&o, 0);
    assert_eq!(std::fs::read(out.path().join("a")).expect("a"), b"hello");
    assert!(stdout(&o).is_empty(), "fd 1 is the file now");
    assert_eq!(o.usage.peak_fds, 2);
}

/// Opens the existing `a` in the only mount for writing at offset 0, switches it to append
/// mode with `fd_fdstat_set_flags`, writes `hello` and exits with the write's errno.
const APPEND_LATER_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $setfl (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "a")
  (data (i32.const 16) "\20\00\00\00\05\00\00\00")
  (data (i32.const 32) "hello")
  (func (export "_start")
    (if (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0)
          (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8))
      (then (call $exit (i32.const 120))))
    (if (call $setfl (i32.load (i32.const 8)) (i32.const 1)) (then (call $exit (i32.const 121))))
    (call $exit (call $write (i32.load (i32.const 8)) (i32.const 16) (i32.const 1) (i32.const 12)))))"#;

#[test]
fn switching_to_append_mode_later_is_charged_as_appending() {
    // Without tracking the flag, a write "at offset 0" of a 10-byte file would look free.
    for (quota, errno, len) in [(4, 51, 10), (5, 0, 15)] {
        let mut b = captured();
        b.disk_quota(Some(quota));
        let out = writable_out(&mut b);
        std::fs::write(out.path().join("a"), "0123456789").expect("seed");
        let o = run_wat(APPEND_LATER_WAT, &mut b);
        assert_exit(&o, errno);
        assert_eq!(file_len(&out, "a"), len, "quota {quota}");
    }
}
