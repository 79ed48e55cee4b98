//! Plugins: bytes in, bytes out, a fresh sandbox per call by default, limits per call.

use super::*;
use nanoproc::plugin::{CallOptions, Plugin};
use nanoproc::{Error, LimitKind};
use std::time::Duration;

pub fn plugin_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins/bin")
        .join(name)
}

/// A pooling engine shared by the plugin tests.
pub fn pool_engine() -> &'static Engine {
    static E: LazyLock<Engine> = LazyLock::new(|| {
        let mut b = Engine::builder();
        b.fuel(true)
            .pooling(Some(nanoproc::PoolingOptions {
                total_instances: 256,
                max_memory_size: 256 << 20,
                ..Default::default()
            }))
            .cache_dir(Some(cache_dir()));
        b.build().expect("pooling engine")
    });
    &E
}

pub fn plugin(name: &str, policy: Policy) -> Plugin {
    Plugin::builder(pool_engine())
        .wasm_file(plugin_path(name))
        .policy(policy)
        .build()
        .expect("plugin builds")
}

#[test]
fn count_vowels_agrees_in_rust_c_and_go() {
    for file in [
        "count_vowels.wasm",
        "count_vowels_c.wasm",
        "count_vowels_go.wasm",
    ] {
        let p = plugin(file, Policy::default());
        let out = p.call("count_vowels", b"Hello, World!").expect(file);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["count"], 3, "{file}: {v}");
        assert_eq!(v["total"], 13, "{file}: {v}");
    }
}

#[test]
fn config_values_reach_the_plugin() {
    let p = Plugin::builder(pool_engine())
        .wasm_file(plugin_path("count_vowels.wasm"))
        .config("vowels", "lo")
        .build()
        .expect("builds");
    let v: serde_json::Value =
        serde_json::from_slice(&p.call("count_vowels", b"Hello, World!").expect("call"))
            .expect("json");
    assert_eq!(v["count"], 5, "l,l,o,o,l: {v}");
}

#[test]
fn echo_round_trips_every_size() {
    for file in ["echo.wasm", "echo_wat.wasm"] {
        let p = plugin(file, Policy::default());
        for size in [0usize, 1, 1024, 64 * 1024, 1 << 20] {
            let input: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(
                p.call("echo", &input).expect("echo"),
                input,
                "{file} {size}"
            );
        }
    }
    assert_eq!(
        plugin("echo.wasm", Policy::default())
            .call("noop", b"ignored")
            .expect("noop"),
        b""
    );
}

#[test]
fn json_transform_works() {
    let p = plugin("json_transform.wasm", Policy::default());
    let out = p
        .call("json_transform", br#"{"name":"nano","n":1}"#)
        .expect("call");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["name"], "NANO");
    assert_eq!(v["transformed"], true);
    let err = p
        .call("json_transform", b"not json")
        .expect_err("bad input");
    assert!(matches!(err, Error::Guest(_)), "{err:?}");
}

#[test]
fn plugin_failures_traps_and_limits_are_typed_and_the_plugin_carries_on() {
    let mut b = Policy::builder();
    b.max_memory(32 << 20);
    let p = plugin("echo.wasm", b.build().expect("policy"));
    match p.call("fail", b"") {
        Err(Error::Guest(m)) => assert!(m.contains("failing on purpose"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(p.call("trap", b""), Err(Error::Trap(_))));
    match p.call("grow", b"") {
        Err(Error::LimitExceeded {
            kind: LimitKind::Memory,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let opts = CallOptions {
        timeout: Some(Duration::from_millis(200)),
        ..Default::default()
    };
    match p.call_with("spin", b"", &opts) {
        Err(Error::LimitExceeded {
            kind: LimitKind::Timeout,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let opts = CallOptions {
        fuel: Some(1_000_000),
        ..Default::default()
    };
    match p.call_with("spin", b"", &opts) {
        Err(
            e @ Error::LimitExceeded {
                kind: LimitKind::Fuel,
                ..
            },
        ) => {
            assert_eq!(e.exit_code(), 124);
            // The message names the call's own budget, not the policy's.
            assert!(e.to_string().contains("1000000 units"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.call("echo", b"still fine").expect("echo"), b"still fine");
}

const COUNTER: &str = r#"(module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "nanoproc_abi_version") (result i32) i32.const 1)
  (func (export "nanoproc_alloc") (param i32) (result i32) i32.const 1024)
  ;; writes the call count as one byte at 16 and returns it
  (func (export "count") (param i32 i32) (result i64)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store8 (i32.const 16) (global.get $n))
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 1))))"#;

#[test]
fn fresh_sandboxes_share_nothing_and_instances_keep_state() {
    let p = Plugin::builder(pool_engine())
        .wasm_bytes(COUNTER)
        .build()
        .expect("builds");
    for _ in 0..3 {
        assert_eq!(
            p.call("count", b"").expect("call"),
            [1],
            "every fresh call starts from scratch"
        );
    }
    let mut inst = p.instance().expect("instance");
    assert_eq!(inst.call("count", b"").expect("1"), [1]);
    assert_eq!(inst.call("count", b"").expect("2"), [2]);
    assert_eq!(inst.call("count", b"").expect("3"), [3]);
}

#[test]
fn many_threads_call_one_plugin() {
    let p = plugin("count_vowels.wasm", Policy::default());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let text = format!("thread {t} call {i} aeiou");
                    let v: serde_json::Value = serde_json::from_slice(
                        &p.call("count_vowels", text.as_bytes()).expect("call"),
                    )
                    .expect("json");
                    assert_eq!(v["total"], text.len());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
}

#[test]
fn a_cancel_handle_stops_a_running_call() {
    let p = plugin("echo.wasm", Policy::default());
    let cancel = p.cancel_handle();
    let worker = {
        let p = p.clone();
        std::thread::spawn(move || p.call("spin", b""))
    };
    std::thread::sleep(Duration::from_millis(100));
    cancel.cancel();
    assert!(matches!(
        worker.join().expect("thread"),
        Err(Error::Cancelled)
    ));
    assert_eq!(p.call("echo", b"after").expect("later calls run"), b"after");
}

#[test]
fn a_per_call_cancel_handle_stops_only_its_own_call() {
    let p = plugin("echo.wasm", Policy::default());
    let mine = nanoproc::plugin::CancelHandle::new();
    let spin = |cancel: Option<nanoproc::plugin::CancelHandle>, timeout| {
        let p = p.clone();
        std::thread::spawn(move || {
            p.call_with(
                "spin",
                b"",
                &CallOptions {
                    cancel,
                    timeout: Some(timeout),
                    ..Default::default()
                },
            )
        })
    };
    let cancelled = spin(Some(mine.clone()), Duration::from_secs(30));
    let other = spin(None, Duration::from_millis(1500));
    std::thread::sleep(Duration::from_millis(100));
    mine.cancel();
    assert!(matches!(
        cancelled.join().expect("thread"),
        Err(Error::Cancelled)
    ));
    // The other call ran on until its own deadline: the token did not reach it.
    assert!(matches!(
        other.join().expect("thread"),
        Err(Error::LimitExceeded {
            kind: LimitKind::Timeout,
            ..
        })
    ));
    // A cancelled token stays cancelled (a cancel just before a call starts is not lost),
    // and a fresh token cancels nothing.
    let stale = CallOptions {
        cancel: Some(mine),
        ..Default::default()
    };
    assert!(matches!(
        p.call_with("spin", b"", &stale),
        Err(Error::Cancelled)
    ));
    // Also a call too short for any epoch tick to see the token: it never starts.
    assert!(matches!(
        p.call_with("noop", b"", &stale),
        Err(Error::Cancelled)
    ));
    let mut instance = p.instance().expect("instance");
    assert!(matches!(
        instance.call_with("echo", b"x", &stale),
        Err(Error::Cancelled)
    ));
    let opts = CallOptions {
        cancel: Some(nanoproc::plugin::CancelHandle::new()),
        ..Default::default()
    };
    assert_eq!(
        p.call_with("echo", b"again", &opts).expect("runs"),
        b"again"
    );
}

#[test]
fn a_reused_instance_made_before_a_cancel_still_calls_afterwards() {
    let p = plugin("echo.wasm", Policy::default());
    let mut inst = p.instance().expect("instance");
    assert_eq!(inst.call("echo", b"before").expect("call"), b"before");
    p.cancel_handle().cancel();
    // Long enough for epoch ticks: a call that still carried the old cancel generation
    // would end `Cancelled` instead of reaching its own deadline.
    let spun = inst.call_with(
        "spin",
        b"",
        &CallOptions {
            timeout: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    );
    assert!(
        matches!(
            spun,
            Err(Error::LimitExceeded {
                kind: LimitKind::Timeout,
                ..
            })
        ),
        "{spun:?}"
    );
    assert_eq!(inst.call("echo", b"after").expect("call"), b"after");
}

#[test]
fn the_copy_file_demo_runs_with_two_mounts_and_a_fuel_budget() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("in")).expect("mkdir");
    std::fs::create_dir(root.path().join("out")).expect("mkdir");
    std::fs::write(root.path().join("in/a.txt"), "copied by a plugin\n").expect("write");
    let mut b = Policy::builder();
    b.dir(root.path().join("in"), "/in")
        .mount(root.path().join("out"), "/out", true)
        .fuel(Some(5_000_000));
    let p = plugin("copy_file.wasm", b.build().expect("policy"));
    let out = p
        .call("copy_file", br#"{"from":"/in/a.txt","to":"/out/b.txt"}"#)
        .expect("copies");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["bytes"], 19);
    assert_eq!(
        std::fs::read_to_string(root.path().join("out/b.txt")).expect("copied"),
        "copied by a plugin\n"
    );
    // Writing into the read-only mount is refused.
    let err = p
        .call("copy_file", br#"{"from":"/in/a.txt","to":"/in/c.txt"}"#)
        .expect_err("read-only");
    assert!(matches!(err, Error::Guest(_)), "{err:?}");
    // Too little fuel stops it.
    let err = p
        .call_with(
            "copy_file",
            br#"{"from":"/in/a.txt","to":"/out/d.txt"}"#,
            &CallOptions {
                fuel: Some(5_000),
                ..Default::default()
            },
        )
        .expect_err("out of fuel");
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: LimitKind::Fuel,
                ..
            }
        ),
        "{err:?}"
    );
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn create_call_drop_cycles_do_not_grow_the_process() {
    // Measured in a child process running only this test, so other tests' allocations
    // cannot blur the figure.
    if std::env::var_os("NANOPROC_RSS_CHILD").is_none() {
        let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "plugins::create_call_drop_cycles_do_not_grow_the_process",
                "--exact",
                "--nocapture",
            ])
            .env("NANOPROC_RSS_CHILD", "1")
            .output()
            .expect("spawn the child");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let p = plugin("echo.wasm", Policy::default());
    for _ in 0..5_000 {
        p.call("echo", b"warm up").expect("call");
    }
    let before = rss_kib();
    for _ in 0..50_000 {
        p.call("echo", b"steady state").expect("call");
    }
    let grown = rss_kib().saturating_sub(before);
    println!("RSS drift over 50,000 create/call/drop cycles: {grown} KiB");
    // Anything leaked per cycle would show as megabytes.
    assert!(
        grown < 4 * 1024,
        "RSS grew by {grown} KiB over 50,000 create/call/drop cycles"
    );
}

#[test]
fn per_call_memory_limits() {
    let p = plugin("echo.wasm", Policy::default());
    let small = CallOptions {
        max_memory: Some(24 << 20),
        ..Default::default()
    };
    assert!(matches!(
        p.call_with("grow", b"", &small),
        Err(Error::LimitExceeded {
            kind: LimitKind::Memory,
            ..
        })
    ));
    let mut inst = p.instance().expect("instance");
    assert_eq!(
        inst.call_with("echo", b"fits", &small).expect("small call"),
        b"fits"
    );
    assert!(matches!(
        inst.call_with("grow", b"", &small),
        Err(Error::LimitExceeded {
            kind: LimitKind::Memory,
            ..
        })
    ));
}
