//! `cat PATH`: copies the file PATH to stdout.
//!
//! On failure prints `cat: PATH: <io error>` to stderr and exits 1 (exit 2 on a usage error).
//! Reading anything needs a `--dir` grant; `cat /etc/hosts` is refused without one.

use std::fs::File;
use std::io::{self, Read, Write};
use std::process::exit;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: cat PATH");
        exit(2);
    };
    let shown = path.to_string_lossy().into_owned();

    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => fail(&shown, &e),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => fail(&shown, &e),
        };
        if let Err(e) = out.write_all(&buf[..n]) {
            fail("stdout", &e);
        }
    }
    if let Err(e) = out.flush() {
        fail("stdout", &e);
    }
}

fn fail(what: &str, e: &io::Error) -> ! {
    eprintln!("cat: {what}: {e}");
    exit(1);
}
