//! Host functions: granted by policy, errors and panics stop only that call, limits reach
//! into them, re-entrancy works.

use super::plugins::{plugin_path, pool_engine};
use super::*;
use nanoproc::plugin::{CallOptions, HostFunctions, Plugin};
use nanoproc::{Error, LimitKind};
use std::time::{Duration, Instant};

fn greet_host() -> HostFunctions {
    let mut h = HostFunctions::new();
    h.register_text("host", "greet", |_ctx, name| Ok(format!("hello, {name}")));
    h
}

fn granted(grants: &[&str]) -> Policy {
    let mut b = Policy::builder();
    for g in grants {
        b.allow_host_fn(*g);
    }
    b.build().expect("policy")
}

#[test]
fn a_granted_host_function_is_called() {
    for grant in ["host::greet", "host::*"] {
        let p = Plugin::builder(pool_engine())
            .wasm_file(plugin_path("call_host.wasm"))
            .host_functions(greet_host())
            .policy(granted(&[grant]))
            .build()
            .expect("builds");
        assert_eq!(
            p.call("call_host", b"world").expect("call"),
            b"plugin got: hello, world"
        );
    }
}

#[test]
fn an_ungranted_host_function_fails_at_load_naming_the_grant() {
    let err = Plugin::builder(pool_engine())
        .wasm_file(plugin_path("call_host.wasm"))
        .host_functions(greet_host())
        .policy(granted(&["host::other", "hosts::*"]))
        .build()
        .err()
        .expect("refused");
    assert!(matches!(err, Error::Denied { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("host::greet") && msg.contains("--allow-host-fn host::greet"),
        "{msg}"
    );

    let err = Plugin::builder(pool_engine())
        .wasm_file(plugin_path("ungranted_host.wasm"))
        .host_functions(greet_host())
        .policy(granted(&["host::greet"]))
        .build()
        .err()
        .expect("refused");
    assert!(err.to_string().contains("host::launch_missiles"), "{err}");
}

fn with_host(
    f: impl Fn(&nanoproc::plugin::HostContext<'_>, &[u8]) -> Result<Vec<u8>, String>
    + Send
    + Sync
    + 'static,
) -> Plugin {
    let mut h = HostFunctions::new();
    h.register("host", "greet", f);
    Plugin::builder(pool_engine())
        .wasm_file(plugin_path("call_host.wasm"))
        .host_functions(h)
        .policy(granted(&["host::greet"]))
        .build()
        .expect("builds")
}

#[test]
fn host_function_errors_and_panics_stop_only_that_call() {
    let p = with_host(|_ctx, input| match input {
        b"error" => Err("the database is down".into()),
        b"panic" => panic!("boom"),
        other => Ok(other.to_vec()),
    });
    match p.call("call_host", b"error") {
        Err(Error::HostFunction { name, message }) => {
            assert_eq!(name, "host::greet");
            assert!(message.contains("database is down"));
        }
        other => panic!("{other:?}"),
    }
    match p.call("call_host", b"panic") {
        Err(Error::HostFunction { message, .. }) => {
            assert!(message.contains("panicked: boom"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        p.call("call_host", b"ok").expect("next call is fine"),
        b"plugin got: ok"
    );
}

#[test]
fn a_timeout_fires_while_the_guest_waits_in_a_slow_host_function() {
    let p = with_host(|ctx, _| {
        ctx.sleep(Duration::from_secs(30))?;
        Ok(b"too late".to_vec())
    });
    let started = Instant::now();
    let r = p.call_with(
        "call_host",
        b"",
        &CallOptions {
            timeout: Some(Duration::from_millis(200)),
            ..Default::default()
        },
    );
    assert!(
        matches!(
            r,
            Err(Error::LimitExceeded {
                kind: LimitKind::Timeout,
                ..
            })
        ),
        "{r:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not interrupted"
    );
}

#[test]
fn host_functions_may_reenter_the_plugin() {
    let inner = with_host(|_ctx, input| Ok(input.to_ascii_uppercase()));
    let outer =
        with_host(move |_ctx, input| inner.call("call_host", input).map_err(|e| e.to_string()));
    assert_eq!(
        outer.call("call_host", b"deep").expect("nested calls"),
        b"plugin got: plugin got: DEEP"
    );
}

#[test]
fn large_host_function_results_cross_intact() {
    let p = with_host(|_ctx, _| Ok(vec![b'x'; 2 << 20]));
    let out = p.call("call_host", b"").expect("call");
    assert_eq!(out.len(), "plugin got: ".len() + (2 << 20));
}
