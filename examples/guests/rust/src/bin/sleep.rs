//! `sleep [SECONDS]`: sleeps for SECONDS (default 3600, fractions allowed) with
//! `std::thread::sleep`, i.e. blocked inside a host call (`poll_oneoff`), then prints
//! `slept SECONDS s`.
//!
//! Used to prove that `--timeout` interrupts a guest that is blocked in the host, not only one
//! that is computing.

use std::time::Duration;

fn main() {
    let arg = std::env::args().nth(1);
    let secs = match arg.as_deref().map(str::trim).map(str::parse::<f64>) {
        None => 3600.0,
        Some(Ok(s)) if s.is_finite() && s >= 0.0 => s,
        Some(_) => {
            eprintln!("usage: sleep [SECONDS]");
            std::process::exit(2);
        }
    };
    std::thread::sleep(Duration::from_secs_f64(secs));
    println!("slept {secs} s");
}
