//! `net ADDR` (WASI preview 2 component): opens a TCP connection to ADDR (e.g.
//! `127.0.0.1:8080`), prints `connected` and exits 0; on failure prints
//! `connect failed: <error>` to stderr and exits 1 (exit 2 on a usage error).
//!
//! Needs a network grant for ADDR; deny-by-default sandboxes refuse every address.

use std::net::TcpStream;

fn main() {
    let Some(addr) = std::env::args().nth(1) else {
        eprintln!("usage: net HOST:PORT");
        std::process::exit(2);
    };
    match TcpStream::connect(addr.as_str()) {
        Ok(_stream) => println!("connected"),
        Err(e) => {
            eprintln!("connect failed: {e}");
            std::process::exit(1);
        }
    }
}
