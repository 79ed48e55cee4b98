//! `fs`: a tiny filesystem probe, used by tests to try every escape route.
//!
//! ```text
//! fs read PATH             print the file's contents, then `ok`
//! fs write PATH TEXT       create/truncate PATH and write TEXT (no newline added)
//! fs ls DIR                print the entry names of DIR, sorted, one per line, then `ok`
//! fs symlink TARGET LINK   create a symbolic link LINK pointing at TARGET
//! fs mkdir PATH            create one directory
//! fs rm PATH               remove a file, a symlink or an empty directory
//! fs fill PATH BYTES       create/truncate PATH and write BYTES bytes (`x`) in writes of at
//!                          most 4096 bytes; prints `wrote N` (N = bytes that got written)
//! fs append PATH BYTES     as `fill`, appending to PATH (created if missing)
//! fs pwrite PATH OFFSET BYTES
//!                          write BYTES bytes at OFFSET of an existing PATH (seek + write,
//!                          nothing truncated); prints `wrote N`
//! fs truncate PATH SIZE    set the size of an existing PATH (ftruncate, grow or shrink)
//! fs open-many PATH N      open PATH for reading N times, keeping every descriptor open;
//!                          prints `opened N` (N = how many opens succeeded)
//! fs open-close PATH N     open and close PATH N times, one descriptor at a time
//! ```
//!
//! Several operations can run in one process, separated by `+` arguments
//! (`fs fill /out/a 9999 + append /out/a 1`); they run in order and the first failure stops
//! the run.
//!
//! The last line on stdout is the verdict: `ok` (exit 0, after every operation succeeded) or
//! `error: <ErrorKind>: <message>` (exit 1). On error the same failure is also reported on
//! stderr as `fs: OP PATH: <message>`. A usage error exits 2.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::exit;

/// The largest single write `fill`, `append` and `pwrite` make.
const CHUNK: usize = 4096;

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.is_empty() {
        usage();
    }
    // `OP ARGS + OP ARGS + ...`: one run, several operations, stopping at the first failure.
    for step in args.split(|a| a == "+") {
        let Some((op, rest)) = step.split_first() else {
            usage()
        };
        let op = op.to_string_lossy();
        if let Err(e) = run(&op, rest) {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            let _ = writeln!(out, "error: {:?}: {e}", e.kind());
            let _ = out.flush();
            // Name the path the operation acts on: LINK for symlink, else the first argument.
            let acted_on = if op == "symlink" {
                rest.last()
            } else {
                rest.first()
            };
            let acted_on = acted_on.map(|p| p.to_string_lossy()).unwrap_or_default();
            eprintln!("fs: {op} {acted_on}: {e}");
            exit(1);
        }
    }
    println!("ok");
}

fn run(op: &str, rest: &[OsString]) -> io::Result<()> {
    let paths: Vec<PathBuf> = rest.iter().map(PathBuf::from).collect();
    match (op, paths.as_slice()) {
        ("read", [path]) => read(path),
        ("write", [path, _]) => std::fs::write(path, rest[1].as_encoded_bytes()),
        ("ls", [dir]) => ls(dir),
        ("symlink", [target, link]) => symlink(target, link),
        ("mkdir", [path]) => std::fs::create_dir(path),
        ("rm", [path]) => rm(path),
        ("fill", [path, n]) => fill(File::create(path), number(n)),
        ("append", [path, n]) => fill(
            File::options().append(true).create(true).open(path),
            number(n),
        ),
        ("pwrite", [path, offset, n]) => pwrite(path, number(offset), number(n)),
        ("truncate", [path, size]) => File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(number(size))),
        ("open-many", [path, n]) => open_many(path, number(n)),
        ("open-close", [path, n]) => (0..number(n)).try_for_each(|_| File::open(path).map(drop)),
        _ => usage(),
    }
}

fn read(path: &PathBuf) -> io::Result<()> {
    let data = std::fs::read(path)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(&data)?;
    if !data.is_empty() && !data.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn ls(dir: &PathBuf) -> io::Result<()> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for name in names {
        writeln!(out, "{name}")?;
    }
    out.flush()
}

fn symlink(target: &PathBuf, link: &PathBuf) -> io::Result<()> {
    // `std::os::wasi::fs::symlink_path` is still unstable, so call wasi-libc's POSIX
    // `symlink`, which std already links in. It resolves LINK against the preopens exactly like
    // every other path operation, then calls WASI `path_symlink`.
    use std::ffi::{CString, c_char, c_int};
    unsafe extern "C" {
        fn symlink(target: *const c_char, linkpath: *const c_char) -> c_int;
    }
    let c = |p: &PathBuf| {
        CString::new(p.as_os_str().as_encoded_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
    };
    let (target, link) = (c(target)?, c(link)?);
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call.
    if unsafe { symlink(target.as_ptr(), link.as_ptr()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn number(arg: &Path) -> u64 {
    arg.to_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| usage())
}

/// Writes `n` bytes to `file` in chunks, printing how many got written (even on error).
fn write_chunks(file: &mut File, n: u64) -> io::Result<()> {
    let buf = [b'x'; CHUNK];
    let mut written = 0u64;
    let result = loop {
        if written == n {
            break Ok(());
        }
        let len = (n - written).min(CHUNK as u64) as usize;
        match file.write(&buf[..len]) {
            Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(k) => written += k as u64,
            Err(e) => break Err(e),
        }
    };
    println!("wrote {written}");
    result
}

fn fill(file: io::Result<File>, n: u64) -> io::Result<()> {
    write_chunks(&mut file?, n)
}

fn pwrite(path: &Path, offset: u64, n: u64) -> io::Result<()> {
    let mut file = File::options().write(true).open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    write_chunks(&mut file, n)
}

fn open_many(path: &Path, n: u64) -> io::Result<()> {
    let mut open = Vec::new();
    let result = (0..n).try_for_each(|_| File::open(path).map(|f| open.push(f)));
    println!("opened {}", open.len());
    result
}

fn rm(path: &PathBuf) -> io::Result<()> {
    // symlink_metadata: never follow a link, so `rm LINK` removes the link itself.
    if std::fs::symlink_metadata(path)?.is_dir() {
        std::fs::remove_dir(path)
    } else {
        std::fs::remove_file(path)
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: fs read PATH | fs write PATH TEXT | fs ls DIR | fs symlink TARGET LINK | \
         fs mkdir PATH | fs rm PATH | fs fill PATH BYTES | fs append PATH BYTES | \
         fs pwrite PATH OFFSET BYTES | fs truncate PATH SIZE | fs open-many PATH N | \
         fs open-close PATH N; several ops: OP ARGS + OP ARGS ..."
    );
    exit(2);
}
