//! Running programs: kinds, languages, exit statuses, arguments, invalid input, audit.

use super::*;
use nanoproc::{Error, ModuleKind};

#[test]
fn runs_preview1_modules_in_every_language() {
    for (guest, text) in [
        ("hello.wasm", "hello from a nano-process\n"),
        ("hello_go.wasm", "hello from Go in a nano-process\n"),
    ] {
        let o = run(guest, &[], &mut captured());
        assert_exit(&o, 0);
        assert_eq!(stdout(&o), text, "{guest}");
    }
    let o = run("hello_c.wasm", &[], &mut captured());
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("hello"), "{}", stdout(&o));
}

#[test]
fn runs_preview2_components() {
    let loaded = loader::load_file(engine(), &guest("hello_p2.wasm")).expect("loads");
    assert_eq!(loaded.kind, ModuleKind::Component);
    let o = run("hello_p2.wasm", &[], &mut captured());
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "hello from a nano-process\n");
}

#[test]
fn exit_status_passes_through() {
    for code in [0, 1, 7, 42, 125] {
        let o = run("exit.wasm", &[&code.to_string()], &mut captured());
        assert_exit(&o, code);
        assert_eq!(o.exit_code(), code);
    }
}

#[test]
fn garbage_and_truncated_modules_are_invalid_input() {
    let hello = std::fs::read(guest("hello.wasm")).expect("read");
    for (bytes, what) in [
        (hello[..hello.len() / 2].to_vec(), "truncated"),
        (b"\0asm".to_vec(), "header only"),
        (b"#!/bin/sh\necho hi\n".to_vec(), "not wasm"),
        (vec![0u8; 64], "zeros"),
        (b"(module (func".to_vec(), "bad wat"),
    ] {
        match loader::load_bytes(engine(), &bytes, what) {
            Err(e @ Error::InvalidModule(_)) => {
                assert_eq!(e.exit_code(), 125);
                assert!(!e.to_string().contains('\n'), "one line: {e}");
            }
            Err(other) => panic!("{what}: wrong error {other:?}"),
            Ok(_) => panic!("{what}: accepted"),
        }
    }
    assert_host_healthy();
}

#[test]
fn unknown_imports_are_refused_at_load_with_their_name() {
    let loaded = loader::load_bytes(
        engine(),
        br#"(module (import "env" "launch_missiles" (func)) (func (export "_start")))"#,
        "evil.wat",
    )
    .expect("compiles");
    let err = Prepared::new(engine(), &loaded, Policy::default())
        .err()
        .expect("refused");
    assert!(matches!(err, Error::Denied { .. }), "{err:?}");
    assert!(err.to_string().contains("launch_missiles"), "{err}");
    assert_eq!(err.exit_code(), 125);
}

#[test]
fn a_module_without_start_is_not_a_command() {
    let loaded = loader::load_bytes(engine(), br#"(module (func (export "run")))"#, "lib.wat")
        .expect("compiles");
    let err = Prepared::new(engine(), &loaded, Policy::default())
        .err()
        .expect("refused");
    assert!(matches!(err, Error::InvalidModule(_)));
    assert!(err.to_string().contains("_start"), "{err}");
}

#[test]
fn the_compile_cache_is_used_the_second_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = nanoproc::Engine::builder();
    b.cache_dir(Some(dir.path().to_path_buf()));
    let e = b.build().expect("engine");
    let first = loader::load_file(&e, &guest("hello.wasm")).expect("loads");
    let second = loader::load_file(&e, &guest("hello.wasm")).expect("loads");
    assert!(!first.from_cache && second.from_cache);
    // A corrupted cache entry is ignored and rebuilt, never trusted.
    for entry in walk(dir.path()) {
        std::fs::write(&entry, b"garbage").expect("corrupt");
    }
    let third = loader::load_file(&e, &guest("hello.wasm")).expect("loads");
    assert!(!third.from_cache);
    let p = Prepared::new(&e, &third, captured().build().expect("policy")).expect("links");
    assert_exit(&p.run(vec![]).expect("runs"), 0);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn arguments_reach_the_guest() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::write(root.path().join("a b.txt"), "spaced\n").expect("write");
    let mut b = captured();
    b.dir(root.path(), "/d");
    let o = run("cat.wasm", &["/d/a b.txt"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "spaced\n");
}

#[test]
fn audit_events_reach_every_sink() {
    let sink = nanoproc::MemorySink::new();
    let file = tempfile::NamedTempFile::new().expect("tmp");
    let json = nanoproc::JsonLinesSink::create(file.path()).expect("sink");
    let mut b = captured();
    b.env("A", "1");
    let policy = b.build().expect("policy");
    let loaded = loader::load_file(engine(), &guest("hello.wasm")).expect("loads");
    let o = Prepared::new(engine(), &loaded, policy)
        .expect("links")
        .run(vec![
            std::sync::Arc::new(sink.clone()),
            std::sync::Arc::new(json),
        ])
        .expect("runs");
    assert_exit(&o, 0);
    let events = sink.events();
    assert!(events.iter().any(|e| e.what == "env" && e.target == "A"));
    assert!(events.iter().any(|e| e.what == "exit" && e.target == "0"));
    let lines = std::fs::read_to_string(file.path()).expect("audit file");
    assert_eq!(lines.lines().count(), events.len());
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert!(v["what"].is_string() && v["decision"].is_string());
    }
}

#[test]
fn a_policy_file_and_the_builder_meet_in_one_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("data")).expect("mkdir");
    std::fs::write(dir.path().join("data/x.txt"), "from policy\n").expect("write");
    let text =
        "dirs = [{ host = \"data\", guest = \"/data\" }]\n[limits]\nmax_memory = \"32MiB\"\n";
    let file = nanoproc::PolicyFile::parse(text, "policy.toml").expect("parses");
    let mut b = captured();
    b.apply_file(&file, dir.path()).expect("applies");
    b.max_memory(48 << 20);
    let o = run("cat.wasm", &["/data/x.txt"], &mut b);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "from policy\n");
}

#[test]
fn sandboxes_run_concurrently_from_one_prepared() {
    let loaded = loader::load_file(engine(), &guest("hello.wasm")).expect("loads");
    let p = Prepared::new(engine(), &loaded, captured().build().expect("policy")).expect("links");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || p.run(vec![]).expect("runs"))
        })
        .collect();
    for h in handles {
        let o = h.join().expect("thread");
        assert_exit(&o, 0);
        assert_eq!(stdout(&o), "hello from a nano-process\n");
    }
}

#[test]
fn the_pooling_allocator_runs_guests_under_the_same_limits() {
    let mut b = nanoproc::Engine::builder();
    b.pooling(Some(nanoproc::PoolingOptions {
        total_instances: 16,
        max_memory_size: 64 << 20,
        ..Default::default()
    }))
    .cache_dir(None);
    let e = b.build().expect("pooling engine");
    let hello = loader::load_file(&e, &guest("hello.wasm")).expect("loads");
    let p = Prepared::new(&e, &hello, captured().build().expect("policy")).expect("links");
    for _ in 0..32 {
        let o = p.run(vec![]).expect("runs");
        assert_exit(&o, 0);
        assert_eq!(stdout(&o), "hello from a nano-process\n");
    }
    let memhog = loader::load_file(&e, &guest("memhog.wasm")).expect("loads");
    let mut policy = captured();
    policy.max_memory(8 << 20);
    let o = Prepared::new(&e, &memhog, policy.build().expect("policy"))
        .expect("links")
        .run(vec![])
        .expect("runs");
    assert_eq!(o.exit_code(), 121);
}
