//! Filesystem: every route out of a mount (`..`, absolute paths, symlinks planted before and
//! during the run, hard links), writes into read-only mounts, renames out of a mount.
//!
//! Most attacks use `guests/fsprobe.wat`, which calls WASI preview 1 directly (no libc to
//! refuse a path before the host sees it) and exits with the errno it got. Mounts: the
//! read-only `mount/` at `/data` is fd 3, the writable `rw/` at `/rw` is fd 4.

use crate::env::{INSIDE, SECRET, captured, fingerprint, no_secret};
use crate::expect::Errno;
use crate::{Case, Category::Filesystem, Ctx, Expect, Got};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The raw-WASI filesystem attacker.
pub const FSPROBE: &str = include_str!("../../guests/fsprobe.wat");

/// The filesystem cases.
pub fn cases() -> Vec<Case> {
    use Expect::Errno as E;
    vec![
        Case::new(
            "fs.dotdot",
            Filesystem,
            "`path_open(/data, \"../outside/secret.txt\")`: climb out of a mount",
            "paths are resolved beneath the mount's directory handle (cap-std); `..` cannot leave it",
            E(Errno::PERM),
            dotdot,
        ),
        Case::new(
            "fs.dotdot_via_subdir",
            Filesystem,
            "`path_open(/data, \"sub/../../outside/secret.txt\")`",
            "the same, however the `..` is reached",
            E(Errno::PERM),
            dotdot_via_subdir,
        ),
        Case::new(
            "fs.dotdot_libc",
            Filesystem,
            "`fs.wasm read /data/../outside/secret.txt` (Rust std and wasi-libc)",
            "the libc's path resolution and then the host's; the guest gets an error",
            Expect::Exit(1),
            dotdot_libc,
        ),
        Case::new(
            "fs.absolute_path",
            Filesystem,
            "`path_open(/data, \"<host path of secret.txt>\")`: an absolute host path",
            "absolute paths are never resolved against the host's root",
            E(Errno::PERM),
            absolute,
        ),
        Case::new(
            "fs.absolute_path_libc",
            Filesystem,
            "`fs.wasm read <host path of secret.txt>`",
            "no mount covers it: not found",
            Expect::Exit(1),
            absolute_libc,
        ),
        Case::new(
            "fs.not_a_directory_fd",
            Filesystem,
            "`path_open` relative to fd 0 (stdin) instead of a mount",
            "only preopened directories resolve paths",
            E(Errno::BADF),
            stdin_fd,
        ),
        Case::new(
            "fs.unknown_fd",
            Filesystem,
            "`path_open` relative to fd 9, which was never opened",
            "descriptors are a per-sandbox table; nothing is inherited from the host",
            E(Errno::BADF),
            unknown_fd,
        ),
        Case::new(
            "fs.symlink_relative_out",
            Filesystem,
            "a symlink `link -> ../outside/secret.txt` planted in the mount before the run",
            "symlinks are followed beneath the mount only",
            E(Errno::PERM),
            symlink_relative,
        ),
        Case::new(
            "fs.symlink_absolute",
            Filesystem,
            "a symlink to the secret's absolute host path, planted in the mount",
            "absolute symlink targets are refused",
            E(Errno::PERM),
            symlink_absolute,
        ),
        Case::new(
            "fs.symlink_dir_out",
            Filesystem,
            "a symlinked directory `out -> <host outside dir>`, then `path_open(\"out/secret.txt\")`",
            "intermediate components are checked too",
            E(Errno::PERM),
            symlink_dir,
        ),
        Case::new(
            "fs.symlink_chain",
            Filesystem,
            "`a -> sub/b`, `sub/b -> ../../outside/secret.txt`: a chain that leaves on its last hop",
            "every hop is resolved beneath the mount",
            E(Errno::PERM),
            symlink_chain,
        ),
        Case::new(
            "fs.symlink_loop",
            Filesystem,
            "`a -> b`, `b -> a`",
            "resolution gives up after a bounded number of hops; no host hang",
            E(Errno::LOOP),
            symlink_loop,
        ),
        Case::new(
            "fs.symlink_race_file",
            Filesystem,
            "20,000 opens of `victim` while a host thread keeps swapping it between a file and a symlink to the secret",
            "no time-of-check/time-of-use gap: each open resolves beneath the mount atomically",
            Expect::Exit(0),
            race_file,
        ),
        Case::new(
            "fs.symlink_race_dir",
            Filesystem,
            "20,000 opens of `d/secret.txt` while a host thread swaps `d` between a directory and a symlink to the outside directory",
            "intermediate directories are resolved beneath the mount atomically too",
            Expect::Exit(0),
            race_dir,
        ),
        Case::new(
            "fs.hardlink_planted_read",
            Filesystem,
            "read a hard link the host planted in the mount to a file outside it",
            "by design, readable: a hard link is the file itself, so planting one grants it (mounts are checked by path, not inode); do not link private files into mounted directories",
            Expect::Exit(0),
            hardlink_planted_read,
        ),
        Case::new(
            "fs.hardlink_planted_write",
            Filesystem,
            "append to that planted hard link in the read-only mount",
            "a read-only mount stays read-only whatever its entries link to",
            E(Errno::PERM),
            hardlink_planted_write,
        ),
        Case::new(
            "fs.hardlink_create_out",
            Filesystem,
            "`path_link(/rw, \"../outside/secret.txt\", /rw, \"stolen\")`: link a file from outside into the writable mount",
            "both paths are resolved beneath their mounts",
            E(Errno::PERM),
            hardlink_create_out,
        ),
        Case::new(
            "fs.hardlink_ro_into_rw",
            Filesystem,
            "`path_link(/data, \"inside.txt\", /rw, \"alias\")`: link a read-only file into the writable mount to write it there",
            "linking needs write access to the source's mount",
            E(Errno::PERM),
            hardlink_ro_into_rw,
        ),
        Case::new(
            "fs.ro_create",
            Filesystem,
            "create `new.txt` in the read-only mount",
            "read-only mounts refuse every change",
            E(Errno::PERM),
            ro_create,
        ),
        Case::new(
            "fs.ro_truncate",
            Filesystem,
            "open `inside.txt` in the read-only mount with `O_TRUNC` and write",
            "read-only mounts refuse every change",
            E(Errno::PERM),
            ro_truncate,
        ),
        Case::new(
            "fs.ro_append",
            Filesystem,
            "open `inside.txt` in the read-only mount for appending and write",
            "read-only mounts refuse every change",
            E(Errno::PERM),
            ro_append,
        ),
        Case::new(
            "fs.ro_mkdir",
            Filesystem,
            "create a directory in the read-only mount",
            "read-only mounts refuse every change",
            E(Errno::PERM),
            ro_mkdir,
        ),
        Case::new(
            "fs.ro_unlink",
            Filesystem,
            "delete `inside.txt` from the read-only mount",
            "read-only mounts refuse every change",
            E(Errno::PERM),
            ro_unlink,
        ),
        Case::new(
            "fs.ro_rename",
            Filesystem,
            "rename `inside.txt` within the read-only mount",
            "read-only mounts refuse every change",
            E(Errno::PERM),
            ro_rename,
        ),
        Case::new(
            "fs.rename_out_of_mount",
            Filesystem,
            "`path_rename(/rw, \"file.txt\", /rw, \"../escaped.txt\")`: move a file out of the writable mount",
            "the target is resolved beneath the mount",
            E(Errno::PERM),
            rename_out,
        ),
        Case::new(
            "fs.rename_ro_to_rw",
            Filesystem,
            "`path_rename(/data, \"inside.txt\", /rw, \"stolen.txt\")`: move a file out of the read-only mount",
            "removing the source needs write access to its mount",
            E(Errno::PERM),
            rename_ro_to_rw,
        ),
        Case::new(
            "fs.rename_over_ro",
            Filesystem,
            "`path_rename(/rw, \"file.txt\", /data, \"inside.txt\")`: replace a read-only file",
            "replacing the target needs write access to its mount",
            E(Errno::PERM),
            rename_over_ro,
        ),
        Case::new(
            "fs.write_dotdot_rw",
            Filesystem,
            "create `../pwned.txt` from the writable mount",
            "writable mounts are confined like read-only ones",
            E(Errno::PERM),
            write_dotdot_rw,
        ),
        Case::new(
            "fs.file_grant_dotdot",
            Filesystem,
            "with one file granted at `/etc/app/config.txt`, open `../secret.txt` next to it",
            "a file grant is a private copy in its own directory: there is nothing next to it",
            E(Errno::PERM),
            file_grant_dotdot,
        ),
        Case::new(
            "fs.file_grant_write",
            Filesystem,
            "write to the granted file",
            "file grants are read-only (and a copy: the host file never changes)",
            E(Errno::PERM),
            file_grant_write,
        ),
        Case::new(
            "fs.p2_dotdot",
            Filesystem,
            "`cat_p2.wasm /data/../outside/secret.txt` (a preview 2 component)",
            "components get the same confinement",
            Expect::Exit(1),
            p2_dotdot,
        ),
        Case::new(
            "fs.plugin_dotdot",
            Filesystem,
            "the `copy_file` plugin asked to copy `/in/../outside/secret.txt` into its writable mount",
            "plugins get the same confinement; the plugin reports the failure",
            Expect::Error(crate::ErrorKind::Guest, "Operation not permitted"),
            plugin_dotdot,
        ),
        Case::new(
            "fs.disk_fill",
            Filesystem,
            "`fs.wasm fill /rw/big 16MiB` with `disk_quota(1 MiB)` on the writable mount",
            "the disk quota: writes past it fail with ENOSPC, exactly at the quota, with a `limit.disk` audit event",
            Expect::Exit(1),
            disk_fill,
        ),
        Case::new(
            "fs.disk_fill_p2",
            Filesystem,
            "the same from a WASI preview 2 component (`fs_p2.wasm`), which writes through output streams",
            "the quota also wraps p2 descriptors and their streams",
            Expect::Exit(1),
            disk_fill_p2,
        ),
        Case::new(
            "fs.fd_exhaustion",
            Filesystem,
            "`fs.wasm open-many /data/inside.txt 100000` with `max_fds(64)`: open without closing",
            "the descriptor cap: opens past it fail (EMFILE) with a `limit.fds` audit event; no host fds leak",
            Expect::Exit(1),
            fd_exhaustion,
        ),
        Case::new(
            "fs.symlink_create_out",
            Filesystem,
            "the guest creates `/rw/trap -> /etc/passwd` in its writable mount, a trap for host tools that later follow it",
            "symlink creation is refused unless the policy sets allow_symlinks, with an `fs.symlink` audit event; nothing is created",
            Expect::Exit(1),
            symlink_create_out,
        ),
        Case::new(
            "fs.symlink_create_out_p2",
            Filesystem,
            "the same from a WASI preview 2 component (`symlink-at`)",
            "the same refusal on the p2 filesystem interface",
            Expect::Exit(1),
            symlink_create_out_p2,
        ),
    ]
}

fn probe(cx: &Ctx, args: &[&str], policy: &mut nanoproc::PolicyBuilder) -> Result<Got, String> {
    let got = cx.env.run_bytes(FSPROBE.as_bytes(), args, policy);
    no_secret(&got)?;
    Ok(got)
}

/// Runs fsprobe with the read-only mount at fd 3 (and the writable one at fd 4 if `rw`).
fn probe_mounts(cx: &Ctx, rw: bool, args: &[&str]) -> Result<Got, String> {
    probe(cx, args, &mut cx.dirs.policy(rw))
}

/// `Err` if the read-only mount's contents changed.
fn mount_unchanged(cx: &Ctx, before: &[(std::path::PathBuf, String)]) -> Result<(), String> {
    if fingerprint(&cx.dirs.mount) != before {
        return Err("the read-only mount's contents changed".into());
    }
    Ok(())
}

fn dotdot(cx: &Ctx) -> Result<Got, String> {
    probe_mounts(cx, false, &["r3", "../outside/secret.txt"])
}

fn dotdot_via_subdir(cx: &Ctx) -> Result<Got, String> {
    probe_mounts(cx, false, &["r3", "sub/../../outside/secret.txt"])
}

fn dotdot_libc(cx: &Ctx) -> Result<Got, String> {
    let got = cx.env.run_guest(
        "fs.wasm",
        &["read", "/data/../outside/secret.txt"],
        &mut cx.dirs.policy(false),
    );
    no_secret(&got)?;
    Ok(got)
}

fn absolute(cx: &Ctx) -> Result<Got, String> {
    let secret = cx.dirs.secret();
    probe_mounts(cx, false, &["r3", &secret.to_string_lossy()])
}

fn absolute_libc(cx: &Ctx) -> Result<Got, String> {
    let secret = cx.dirs.secret();
    let got = cx.env.run_guest(
        "fs.wasm",
        &["read", &secret.to_string_lossy()],
        &mut cx.dirs.policy(false),
    );
    no_secret(&got)?;
    Ok(got)
}

fn stdin_fd(cx: &Ctx) -> Result<Got, String> {
    probe_mounts(cx, false, &["r0", "inside.txt"])
}

fn unknown_fd(cx: &Ctx) -> Result<Got, String> {
    probe_mounts(cx, false, &["r9", "inside.txt"])
}

fn symlink(
    target: impl AsRef<std::path::Path>,
    link: impl AsRef<std::path::Path>,
) -> Result<(), String> {
    std::os::unix::fs::symlink(target.as_ref(), link.as_ref())
        .map_err(|e| format!("cannot plant {}: {e}", link.as_ref().display()))
}

fn symlink_relative(cx: &Ctx) -> Result<Got, String> {
    symlink("../outside/secret.txt", cx.dirs.mount.join("link"))?;
    probe_mounts(cx, false, &["r3", "link"])
}

fn symlink_absolute(cx: &Ctx) -> Result<Got, String> {
    symlink(cx.dirs.secret(), cx.dirs.mount.join("abs"))?;
    probe_mounts(cx, false, &["r3", "abs"])
}

fn symlink_dir(cx: &Ctx) -> Result<Got, String> {
    symlink(&cx.dirs.outside, cx.dirs.mount.join("out"))?;
    probe_mounts(cx, false, &["r3", "out/secret.txt"])
}

fn symlink_chain(cx: &Ctx) -> Result<Got, String> {
    symlink("sub/b", cx.dirs.mount.join("a"))?;
    symlink("../../outside/secret.txt", cx.dirs.mount.join("sub/b"))?;
    probe_mounts(cx, false, &["r3", "a"])
}

fn symlink_loop(cx: &Ctx) -> Result<Got, String> {
    symlink("b", cx.dirs.mount.join("a"))?;
    symlink("a", cx.dirs.mount.join("b"))?;
    probe_mounts(cx, false, &["r3", "a"])
}

/// Runs `fsprobe L3 path` while `swap` runs in a loop on another thread. The guest's
/// stdout must only ever hold `INSIDE`s; the race must have gone both ways.
fn race(
    cx: &Ctx,
    path: &str,
    swap: impl Fn() -> std::io::Result<()> + Send + 'static,
) -> Result<Got, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let (stop, swaps) = (stop.clone(), swaps.clone());
        std::thread::spawn(move || -> std::io::Result<()> {
            while !stop.load(Ordering::Relaxed) {
                swap()?;
                swaps.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    };
    let got = cx.env.run_bytes(
        FSPROBE.as_bytes(),
        &["L3", path],
        &mut cx.dirs.policy(false),
    );
    stop.store(true, Ordering::Relaxed);
    swapper
        .join()
        .map_err(|_| "the swapping thread panicked".to_string())?
        .map_err(|e| format!("the swapping thread failed: {e}"))?;
    no_secret(&got)?;
    let opened = got.stdout.len() / INSIDE.len();
    let denied = got.stderr.len();
    if !got.stdout.len().is_multiple_of(INSIDE.len()) || opened + denied != 20_000 {
        return Err(format!(
            "unexpected output: {} stdout bytes, {denied} failures",
            got.stdout.len()
        ));
    }
    if opened == 0 || denied == 0 {
        return Err(format!(
            "the race did not happen ({opened} opens succeeded, {denied} failed, {} swaps)",
            swaps.load(Ordering::Relaxed)
        ));
    }
    if let Some(e) = got
        .stderr
        .iter()
        .find(|e| i32::from(**e) != Errno::PERM.0 && i32::from(**e) != Errno::NOENT.0)
    {
        return Err(format!("an open failed with the unexpected errno {e}"));
    }
    Ok(got)
}

fn race_file(cx: &Ctx) -> Result<Got, String> {
    let mount = cx.dirs.mount.clone();
    std::fs::write(mount.join("victim"), INSIDE).map_err(|e| e.to_string())?;
    let secret = cx.dirs.secret();
    race(cx, "victim", move || {
        let (link, file) = (mount.join(".link"), mount.join(".file"));
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&secret, &link)?;
        std::fs::rename(&link, mount.join("victim"))?;
        std::fs::write(&file, INSIDE)?;
        std::fs::rename(&file, mount.join("victim"))
    })
}

fn race_dir(cx: &Ctx) -> Result<Got, String> {
    let mount = cx.dirs.mount.clone();
    let real = mount.join("real");
    std::fs::create_dir(&real).map_err(|e| e.to_string())?;
    std::fs::write(real.join("secret.txt"), INSIDE).map_err(|e| e.to_string())?;
    let outside = cx.dirs.outside.clone();
    // `d` is a symlink to `real` (inside) or to the outside directory, swapped atomically.
    symlink("real", mount.join("d"))?;
    race(cx, "d/secret.txt", move || {
        let tmp = mount.join(".d");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&outside, &tmp)?;
        std::fs::rename(&tmp, mount.join("d"))?;
        std::os::unix::fs::symlink("real", &tmp)?;
        std::fs::rename(&tmp, mount.join("d"))
    })
}

fn hardlink_planted_read(cx: &Ctx) -> Result<Got, String> {
    std::fs::hard_link(cx.dirs.secret(), cx.dirs.mount.join("hard")).map_err(|e| e.to_string())?;
    let got = cx.env.run_bytes(
        FSPROBE.as_bytes(),
        &["r3", "hard"],
        &mut cx.dirs.policy(false),
    );
    if got.stdout != SECRET.as_bytes() {
        return Err(format!(
            "expected exactly the planted file's contents, got {}",
            got.summary()
        ));
    }
    Ok(got)
}

fn hardlink_planted_write(cx: &Ctx) -> Result<Got, String> {
    std::fs::hard_link(cx.dirs.secret(), cx.dirs.mount.join("hard")).map_err(|e| e.to_string())?;
    probe_mounts(cx, false, &["a3", "hard"])
}

fn hardlink_create_out(cx: &Ctx) -> Result<Got, String> {
    probe_mounts(cx, true, &["l44", "../outside/secret.txt", "stolen"])
}

fn hardlink_ro_into_rw(cx: &Ctx) -> Result<Got, String> {
    let got = probe_mounts(cx, true, &["l34", "inside.txt", "alias"])?;
    if cx.dirs.rw.join("alias").exists() {
        return Err("the link was created".into());
    }
    Ok(got)
}

fn ro_op(cx: &Ctx, args: &[&str]) -> Result<Got, String> {
    let before = fingerprint(&cx.dirs.mount);
    let got = probe_mounts(cx, false, args)?;
    mount_unchanged(cx, &before)?;
    Ok(got)
}

fn ro_create(cx: &Ctx) -> Result<Got, String> {
    ro_op(cx, &["w3", "new.txt"])
}

fn ro_truncate(cx: &Ctx) -> Result<Got, String> {
    ro_op(cx, &["w3", "inside.txt"])
}

fn ro_append(cx: &Ctx) -> Result<Got, String> {
    ro_op(cx, &["a3", "inside.txt"])
}

fn ro_mkdir(cx: &Ctx) -> Result<Got, String> {
    ro_op(cx, &["d3", "newdir"])
}

fn ro_unlink(cx: &Ctx) -> Result<Got, String> {
    ro_op(cx, &["u3", "inside.txt"])
}

fn ro_rename(cx: &Ctx) -> Result<Got, String> {
    ro_op(cx, &["m33", "inside.txt", "moved.txt"])
}

fn rename_out(cx: &Ctx) -> Result<Got, String> {
    std::fs::write(cx.dirs.rw.join("file.txt"), "mine").map_err(|e| e.to_string())?;
    let got = probe_mounts(cx, true, &["m44", "file.txt", "../escaped.txt"])?;
    if !cx.dirs.rw.join("file.txt").exists() {
        return Err("the file left the writable mount".into());
    }
    Ok(got)
}

fn rename_ro_to_rw(cx: &Ctx) -> Result<Got, String> {
    let before = fingerprint(&cx.dirs.mount);
    let got = probe_mounts(cx, true, &["m34", "inside.txt", "stolen.txt"])?;
    mount_unchanged(cx, &before)?;
    Ok(got)
}

fn rename_over_ro(cx: &Ctx) -> Result<Got, String> {
    std::fs::write(cx.dirs.rw.join("file.txt"), "replacement").map_err(|e| e.to_string())?;
    let before = fingerprint(&cx.dirs.mount);
    let got = probe_mounts(cx, true, &["m43", "file.txt", "inside.txt"])?;
    mount_unchanged(cx, &before)?;
    Ok(got)
}

fn write_dotdot_rw(cx: &Ctx) -> Result<Got, String> {
    probe_mounts(cx, true, &["w4", "../pwned.txt"])
}

fn file_grant(cx: &Ctx) -> nanoproc::PolicyBuilder {
    let mut b = captured();
    b.file(
        cx.dirs.outside.join("dir/deeper.txt"),
        "/etc/app/config.txt",
    );
    b
}

fn file_grant_dotdot(cx: &Ctx) -> Result<Got, String> {
    probe(cx, &["r3", "../secret.txt"], &mut file_grant(cx))
}

fn file_grant_write(cx: &Ctx) -> Result<Got, String> {
    probe(cx, &["a3", "config.txt"], &mut file_grant(cx))
}

fn p2_dotdot(cx: &Ctx) -> Result<Got, String> {
    let got = cx.env.run_guest(
        "cat_p2.wasm",
        &["/data/../outside/secret.txt"],
        &mut cx.dirs.policy(false),
    );
    no_secret(&got)?;
    Ok(got)
}

fn plugin_dotdot(cx: &Ctx) -> Result<Got, String> {
    let mut b = nanoproc::Policy::builder();
    b.dir(&cx.dirs.mount, "/in")
        .mount(&cx.dirs.rw, "/out", true);
    let p = cx
        .env
        .plugin_file("copy_file.wasm", b.build().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let got = Got::call(p.call(
        "copy_file",
        br#"{"from":"/in/../outside/secret.txt","to":"/out/stolen.txt"}"#,
    ));
    no_secret(&got)?;
    if cx.dirs.rw.join("stolen.txt").exists() {
        return Err("the plugin copied something".into());
    }
    Ok(got)
}

fn audited(got: &Got, what: &str) -> Result<(), String> {
    if got
        .events
        .iter()
        .any(|e| e.what == what && e.decision == nanoproc::Decision::Denied)
    {
        Ok(())
    } else {
        Err(format!("no denied `{what}` audit event"))
    }
}

fn disk_fill_with(cx: &Ctx, guest: &str) -> Result<Got, String> {
    let mut policy = cx.dirs.policy(true);
    policy.disk_quota(Some(1 << 20));
    let got = cx
        .env
        .run_guest(guest, &["fill", "/rw/big", "16777216"], &mut policy);
    let size = std::fs::metadata(cx.dirs.rw.join("big"))
        .map(|m| m.len())
        .unwrap_or(0);
    if size > 1 << 20 {
        return Err(format!("{size} bytes reached the disk past a 1 MiB quota"));
    }
    let out = String::from_utf8_lossy(&got.stdout);
    if !out.contains("wrote 1048576") {
        return Err(format!(
            "expected exactly 1 MiB written, the guest said: {out}"
        ));
    }
    audited(&got, "limit.disk")?;
    let _ = std::fs::remove_file(cx.dirs.rw.join("big"));
    Ok(got)
}

fn disk_fill(cx: &Ctx) -> Result<Got, String> {
    disk_fill_with(cx, "fs.wasm")
}

fn disk_fill_p2(cx: &Ctx) -> Result<Got, String> {
    disk_fill_with(cx, "fs_p2.wasm")
}

fn fd_exhaustion(cx: &Ctx) -> Result<Got, String> {
    let mut policy = cx.dirs.policy(false);
    policy.max_fds(64);
    let got = cx.env.run_guest(
        "fs.wasm",
        &["open-many", "/data/inside.txt", "100000"],
        &mut policy,
    );
    let out = String::from_utf8_lossy(&got.stdout);
    let opened: Option<u64> = out
        .lines()
        .find_map(|l| l.strip_prefix("opened "))
        .and_then(|n| n.trim().parse().ok());
    match opened {
        // Stdio and the mounts do not count against the cap: exactly 64 opens succeed.
        Some(64) => {}
        other => {
            return Err(format!("expected exactly 64 opens, got {other:?}: {out}"));
        }
    }
    audited(&got, "limit.fds")?;
    Ok(got)
}

fn symlink_create_with(cx: &Ctx, guest: &str) -> Result<Got, String> {
    let got = cx.env.run_guest(
        guest,
        &["symlink", "/etc/passwd", "/rw/trap"],
        &mut cx.dirs.policy(true),
    );
    if std::fs::symlink_metadata(cx.dirs.rw.join("trap")).is_ok() {
        return Err("the guest left a symlink in the writable mount".into());
    }
    audited(&got, "fs.symlink")?;
    Ok(got)
}

fn symlink_create_out(cx: &Ctx) -> Result<Got, String> {
    symlink_create_with(cx, "fs.wasm")
}

fn symlink_create_out_p2(cx: &Ctx) -> Result<Got, String> {
    symlink_create_with(cx, "fs_p2.wasm")
}
