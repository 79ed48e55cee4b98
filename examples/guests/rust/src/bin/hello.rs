//! `hello`: prints a greeting and exits 0. Needs no grants.

fn main() {
    println!("hello from a nano-process");
}
