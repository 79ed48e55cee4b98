//! `fs`: a tiny filesystem probe, used by tests to try every escape route.
//!
//! ```text
//! fs read PATH             print the file's contents, then `ok`
//! fs write PATH TEXT       create/truncate PATH and write TEXT (no newline added)
//! fs ls DIR                print the entry names of DIR, sorted, one per line, then `ok`
//! fs symlink TARGET LINK   create a symbolic link LINK pointing at TARGET
//! fs mkdir PATH            create one directory
//! fs rm PATH               remove a file, a symlink or an empty directory
//! ```
//!
//! The last line on stdout is the verdict: `ok` (exit 0) or `error: <ErrorKind>: <message>`
//! (exit 1). On error the same failure is also reported on stderr as `fs: OP PATH: <message>`.
//! A usage error exits 2.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::exit;

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Some((op, rest)) = args.split_first() else { usage() };
    let op = op.to_string_lossy();
    let paths: Vec<PathBuf> = rest.iter().map(PathBuf::from).collect();

    let result = match (op.as_ref(), paths.as_slice()) {
        ("read", [path]) => read(path),
        ("write", [path, _]) => std::fs::write(path, rest[1].as_encoded_bytes()),
        ("ls", [dir]) => ls(dir),
        ("symlink", [target, link]) => symlink(target, link),
        ("mkdir", [path]) => std::fs::create_dir(path),
        ("rm", [path]) => rm(path),
        _ => usage(),
    };

    let stdout = io::stdout();
    let mut out = stdout.lock();
    match result {
        Ok(()) => {
            let _ = writeln!(out, "ok");
        }
        Err(e) => {
            let _ = writeln!(out, "error: {:?}: {e}", e.kind());
            let _ = out.flush();
            // Name the path the operation acts on: LINK for symlink, else the first argument.
            let acted_on = if op == "symlink" { rest.last() } else { rest.first() };
            let acted_on = acted_on.map(|p| p.to_string_lossy()).unwrap_or_default();
            eprintln!("fs: {op} {acted_on}: {e}");
            exit(1);
        }
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
         fs mkdir PATH | fs rm PATH"
    );
    exit(2);
}
