//! `env`: prints every environment variable the guest can see as `NAME=VALUE` lines, sorted.
//!
//! Under a deny-by-default sandbox this prints nothing unless variables are granted (`--env`).

use std::io::{self, Write};

fn main() {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()))
        .collect();
    vars.sort();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for (name, value) in vars {
        if writeln!(out, "{name}={value}").is_err() {
            std::process::exit(1);
        }
    }
}
