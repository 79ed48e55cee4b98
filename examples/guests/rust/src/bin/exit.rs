//! `exit [STATUS]`: exits with STATUS (default 0), e.g. `exit 7` exits with status 7.
//!
//! A STATUS that is not an integer is a usage error (exit 2).

fn main() {
    let code = match std::env::args().nth(1) {
        None => 0,
        Some(arg) => match arg.trim().parse::<i32>() {
            Ok(code) => code,
            Err(_) => {
                eprintln!("usage: exit [STATUS]  (not a number: {arg:?})");
                std::process::exit(2);
            }
        },
    };
    std::process::exit(code);
}
