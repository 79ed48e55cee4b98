//! Memory: out-of-bounds accesses, growth bombs, huge initial sizes and data segments,
//! tables, several memories. One budget covers every memory and table of a sandbox.

use super::command;
use crate::env::captured;
use crate::{Case, Category::Memory, Ctx, Expect, Got};
use nanoproc::LimitKind;
use nanoproc::policy::OutputMode;

const MIB: u64 = 1 << 20;

/// The memory cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "mem.oob_load",
            Memory,
            "load 4 bytes at address 0x7fffffff of a one-page memory",
            "every access is bounds-checked (guard pages); the guest traps",
            Expect::Trap("memory_out_of_bounds"),
            oob_load,
        ),
        Case::new(
            "mem.oob_store_straddling",
            Memory,
            "store 8 bytes starting 4 bytes before the end of memory",
            "a store that straddles the end traps before writing anything",
            Expect::Trap("memory_out_of_bounds"),
            oob_store,
        ),
        Case::new(
            "mem.grow_bomb",
            Memory,
            "`memory.grow` one page at a time, touching every page, until 4 GiB (budget 48 MiB)",
            "the memory budget refuses the growth that would pass it and stops the guest",
            Expect::Limit(LimitKind::Memory),
            grow_bomb,
        )
        .memory_heavy(),
        Case::new(
            "mem.grow_4gib_at_once",
            Memory,
            "one `memory.grow` of 65,535 pages (4 GiB) under a 64 MiB budget",
            "the budget is checked before any memory is reserved",
            Expect::Limit(LimitKind::Memory),
            grow_at_once,
        ),
        Case::new(
            "mem.allocator_bomb",
            Memory,
            "`memhog.wasm`: a Rust program allocating and touching 1 MiB blocks forever (budget 48 MiB)",
            "the budget stops the guest at 48 MiB; the host gets the memory back",
            Expect::Limit(LimitKind::Memory),
            memhog,
        )
        .memory_heavy(),
        Case::new(
            "mem.huge_initial_memory",
            Memory,
            "a module declaring a 1 GiB initial memory, under a 64 MiB budget",
            "initial sizes are charged at instantiation; the guest never starts",
            Expect::Limit(LimitKind::Memory),
            huge_initial,
        ),
        Case::new(
            "mem.data_segment_out_of_bounds",
            Memory,
            "an active data segment at offset 0xfffffff0 of a one-page memory",
            "instantiation checks segment bounds and traps before `_start`",
            Expect::Trap("memory_out_of_bounds"),
            data_segment_oob,
        ),
        Case::new(
            "mem.huge_data_segment",
            Memory,
            "an 8 MiB data segment needing a 128-page memory, under a 4 MiB budget",
            "the memory holding the segment is charged before the segment is copied",
            Expect::Limit(LimitKind::Memory),
            huge_data_segment,
        ),
        Case::new(
            "mem.table_bomb",
            Memory,
            "`tablebomb.wasm`: grow a funcref table by 1,000,000 elements per step, forever (budget 16 MiB)",
            "tables count against the same budget (8 bytes per element)",
            Expect::Limit(LimitKind::Memory),
            table_bomb,
        ),
        Case::new(
            "mem.huge_initial_table",
            Memory,
            "a table of 10,000,000 funcrefs (the format's maximum) declared up front, budget 16 MiB",
            "the initial table is charged at instantiation",
            Expect::Limit(LimitKind::Memory),
            huge_initial_table,
        ),
        Case::new(
            "mem.table_grow_refund",
            Memory,
            "alternate a successful `table.grow` with one whose size overflows, 40 times (budget 16 MiB)",
            "failed growths never refund successful ones; the budget holds",
            Expect::Limit(LimitKind::Memory),
            table_grow_refund,
        ),
        Case::new(
            "mem.multi_memory",
            Memory,
            "`multimem.wasm`: 8 memories of 4 MiB each, every one under the 16 MiB budget",
            "the budget covers all memories together",
            Expect::Limit(LimitKind::Memory),
            multi_memory,
        ),
        Case::new(
            "mem.plugin_grow",
            Memory,
            "the `echo` plugin's `grow`: allocate 1 MiB blocks forever in one call (budget 32 MiB)",
            "the plugin's budget stops the call; the next call gets a fresh sandbox",
            Expect::Limit(LimitKind::Memory),
            plugin_grow,
        )
        .memory_heavy(),
    ]
}

fn oob_load(cx: &Ctx) -> Result<Got, String> {
    let wat = command(
        r#"(func (export "_start") (drop (i32.load (i32.const 0x7fffffff))) (call $exit (i32.const 0)))"#,
    );
    Ok(cx.env.run_bytes(wat.as_bytes(), &[], &mut captured()))
}

fn oob_store(cx: &Ctx) -> Result<Got, String> {
    // Without the bounds check the guest would go on and exit 0.
    let wat = command(
        r#"(func (export "_start")
             (i64.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i64.const -1))
             (call $exit (i32.const 0)))"#,
    );
    Ok(cx.env.run_bytes(wat.as_bytes(), &[], &mut captured()))
}

fn limited(budget: u64) -> nanoproc::PolicyBuilder {
    let mut b = captured();
    b.max_memory(budget);
    b
}

/// `Err` if the run's peak memory passed `budget`.
fn within(got: Got, budget: u64) -> Result<Got, String> {
    match &got.usage {
        Some(u) if u.peak_memory_bytes > budget => Err(format!(
            "peak memory {} bytes is over the {budget}-byte budget",
            u.peak_memory_bytes
        )),
        _ => Ok(got),
    }
}

fn grow_bomb(cx: &Ctx) -> Result<Got, String> {
    // Exits 3 if `memory.grow` ever returns -1: a budget must stop the guest, not just
    // make growth fail.
    let wat = command(
        r#"(func (export "_start") (local $page i32)
             (loop $more
               (local.set $page (memory.grow (i32.const 1)))
               (if (i32.eq (local.get $page) (i32.const -1)) (then (call $exit (i32.const 3))))
               (i32.store (i32.mul (local.get $page) (i32.const 65536)) (i32.const 1))
               (br $more)))"#,
    );
    let got = cx
        .env
        .run_bytes(wat.as_bytes(), &[], &mut limited(48 * MIB));
    within(got, 48 * MIB)
}

fn grow_at_once(cx: &Ctx) -> Result<Got, String> {
    let wat = command(
        r#"(func (export "_start")
             (if (i32.eq (memory.grow (i32.const 65535)) (i32.const -1)) (then (call $exit (i32.const 3))))
             (i32.store (i32.const 0x7ffffff0) (i32.const 1))
             (call $exit (i32.const 0)))"#,
    );
    let got = cx
        .env
        .run_bytes(wat.as_bytes(), &[], &mut limited(64 * MIB));
    within(got, 64 * MIB)
}

fn memhog(cx: &Ctx) -> Result<Got, String> {
    let got = cx.env.run_guest("memhog.wasm", &[], &mut limited(48 * MIB));
    within(got, 48 * MIB)
}

fn huge_initial(cx: &Ctx) -> Result<Got, String> {
    let wat = r#"(module (memory (export "memory") 16384) (func (export "_start")))"#;
    Ok(cx
        .env
        .run_bytes(wat.as_bytes(), &[], &mut limited(64 * MIB)))
}

fn data_segment_oob(cx: &Ctx) -> Result<Got, String> {
    let wat = r#"(module (memory (export "memory") 1)
        (data (i32.const 0xfffffff0) "0123456789abcdef")
        (func (export "_start")))"#;
    Ok(cx.env.run_bytes(wat.as_bytes(), &[], &mut captured()))
}

fn huge_data_segment(cx: &Ctx) -> Result<Got, String> {
    // Built as a binary: 8 MiB of WAT string escapes would be slow to assemble.
    let data = vec![0xAAu8; 8 << 20];
    let module = crate::cases::module::binary::data_module(128, &data);
    Ok(cx.env.run_bytes(&module, &[], &mut limited(4 * MIB)))
}

fn table_bomb(cx: &Ctx) -> Result<Got, String> {
    let got = cx
        .env
        .run_guest("tablebomb.wasm", &[], &mut limited(16 * MIB));
    within(got, 16 * MIB)
}

fn huge_initial_table(cx: &Ctx) -> Result<Got, String> {
    let wat = r#"(module (table 10000000 funcref) (memory (export "memory") 1) (func (export "_start")))"#;
    Ok(cx
        .env
        .run_bytes(wat.as_bytes(), &[], &mut limited(16 * MIB)))
}

fn table_grow_refund(cx: &Ctx) -> Result<Got, String> {
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
        (call $exit (i32.const 0))))"#;
    let got = cx
        .env
        .run_bytes(wat.as_bytes(), &[], &mut limited(16 * MIB));
    within(got, 16 * MIB)
}

fn multi_memory(cx: &Ctx) -> Result<Got, String> {
    let got = cx
        .env
        .run_guest("multimem.wasm", &[], &mut limited(16 * MIB));
    within(got, 16 * MIB)
}

fn plugin_grow(cx: &Ctx) -> Result<Got, String> {
    let mut b = nanoproc::Policy::builder();
    b.max_memory(32 * MIB).stderr(OutputMode::Null);
    let p = cx
        .env
        .plugin_file("echo.wasm", b.build().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let got = Got::call(p.call("grow", b""));
    let again = p.call("echo", b"next call").map_err(|e| e.to_string())?;
    if again != b"next call" {
        return Err("the call after the limit hit did not work".into());
    }
    Ok(got)
}
