//! `memhog`: grows linear memory forever, 1 MiB at a time, touching every page with non-zero
//! bytes, and prints the running total to stderr every 16 MiB.
//!
//! Stopped by the memory budget (`--max-memory`); when an allocation finally fails the Rust
//! runtime aborts (a trap).

use std::hint::black_box;

const MIB: usize = 1 << 20;

fn main() {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    let mut total_mib: usize = 0;
    loop {
        let chunk = black_box(vec![0xA5u8; MIB]);
        hoard.push(chunk);
        total_mib += 1;
        if total_mib % 16 == 0 {
            eprintln!("memhog: {total_mib} MiB");
        }
        black_box(&hoard);
    }
}
