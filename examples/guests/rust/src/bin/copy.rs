//! `copy SRC DST`: copies the file SRC to DST (creating or truncating DST).
//!
//! On failure prints `copy: PATH: <io error>` (naming the side that failed) to stderr and
//! exits 1 (exit 2 on a usage error). Needs `--dir` grants: read for SRC, write for DST.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::process::exit;

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [src, dst] = args.as_slice() else {
        eprintln!("usage: copy SRC DST");
        exit(2);
    };
    let src_shown = src.to_string_lossy();
    let dst_shown = dst.to_string_lossy();

    let mut input = File::open(src).unwrap_or_else(|e| fail(&src_shown, &e));
    let mut output = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(dst)
        .unwrap_or_else(|e| fail(&dst_shown, &e));

    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => fail(&src_shown, &e),
        };
        output.write_all(&buf[..n]).unwrap_or_else(|e| fail(&dst_shown, &e));
    }
    output.flush().unwrap_or_else(|e| fail(&dst_shown, &e));
}

fn fail(what: &str, e: &io::Error) -> ! {
    eprintln!("copy: {what}: {e}");
    exit(1);
}
