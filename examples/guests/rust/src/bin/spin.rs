//! `spin`: an infinite tight loop that never calls the host.
//!
//! Only a CPU limit (`--timeout` via epoch interruption, or `--fuel`) can stop it.

use std::hint::black_box;

fn main() {
    let mut counter: u64 = 0;
    loop {
        // `black_box` keeps the optimizer from proving the loop has no effect.
        counter = black_box(counter.wrapping_add(1));
    }
}
