//! `flood`: writes a 4 KiB chunk of text lines to stdout forever.
//!
//! Write errors are ignored and the loop keeps going, so only an output cap (`--max-output`)
//! or a time limit stops it.

use std::io::{self, Write};

const CHUNK: usize = 4096;
const LINE: &[u8; 64] = b"flood flood flood flood flood flood flood flood flood flood flo\n";

fn main() {
    let mut chunk = Vec::with_capacity(CHUNK);
    while chunk.len() < CHUNK {
        chunk.extend_from_slice(LINE);
    }
    let stdout = io::stdout();
    loop {
        let _ = stdout.lock().write_all(&chunk);
    }
}
