//! `copy_file` (wasm32-wasip1): copies a file through WASI, so it needs `--dir` grants (the
//! destination one writable).
//!
//! Input: JSON `{"from":"/in/a.txt","to":"/out/b.txt"}`. Output: JSON `{"bytes":N}`, the number
//! of bytes copied. An I/O error fails the call with `PATH: <io error>`, PATH being the side
//! that failed (for example `/in/a.txt: No such file or directory (os error 44)`).
//!
//! ```sh
//! nanoproc call copy_file.wasm copy_file --dir ./in::/in --dir ./out::/out:rw \
//!     --input '{"from":"/in/a.txt","to":"/out/b.txt"}'
//! ```

use nanoproc_pdk::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Copy {
    from: String,
    to: String,
}

/// `PATH: <io error>`.
fn at(path: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::new(format!("{path}: {e}"))
}

#[derive(Serialize)]
struct Copied {
    bytes: u64,
}

fn copy_file(copy: Copy) -> Result<Copied> {
    let mut from = File::open(&copy.from).map_err(at(&copy.from))?;
    let mut to = File::create(&copy.to).map_err(at(&copy.to))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes: u64 = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(at(&copy.from)(e)),
        };
        to.write_all(&buf[..n]).map_err(at(&copy.to))?;
        bytes += n as u64;
    }
    to.flush().map_err(at(&copy.to))?;
    Ok(Copied { bytes })
}

nanoproc_pdk::export_json!(copy_file);
