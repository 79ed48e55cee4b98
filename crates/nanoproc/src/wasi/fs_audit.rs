//! Audited WASI preview 1 path operations.
//!
//! Wasmtime's WASI implementation enforces the mounts; these wrappers shadow the
//! path-taking imports so each use is also an audit event naming the guest path, the
//! operation and the outcome. A permission error (read-only mount, a path leading out of
//! its mount) is recorded as a denial with how to grant it.
//!
//! Note that wasi-libc refuses paths outside every mount without calling the host at all;
//! such attempts cannot be seen here (the CLI hints at `--dir` when a run fails instead).

use crate::audit::{Audit, Decision};
use crate::sandbox::P1State;
use wasmtime::{Caller, Linker};
use wasmtime_wasi::p1::wasi_snapshot_preview1 as p1;

/// What the audit needs to know about a sandbox's filesystem view.
#[derive(Clone, Default)]
pub(crate) struct FsView {
    /// Guest paths of the preopened directories, in preopen order (fd 3, 4, …).
    pub preopens: Vec<Preopen>,
}

/// One preopened directory as the guest sees it.
#[derive(Clone)]
pub(crate) struct Preopen {
    pub guest: String,
    pub writable: bool,
}

const FIRST_PREOPEN_FD: i32 = 3;
/// WASI errnos that mean "not permitted" rather than an ordinary failure.
const ERRNO_ACCES: i32 = 2;
const ERRNO_PERM: i32 = 63;
const ERRNO_ROFS: i32 = 69;
const ERRNO_NOTCAPABLE: i32 = 76;
const OFLAGS_WRITING: i32 = 0x1 | 0x8; // creat | trunc
const RIGHT_FD_WRITE: i64 = 1 << 6;
const FDFLAGS_APPEND: i32 = 0x1;

impl FsView {
    fn describe(&self, fd: i32, path: &str) -> String {
        match fd
            .checked_sub(FIRST_PREOPEN_FD)
            .and_then(|i| self.preopens.get(i as usize))
        {
            Some(_) if path.starts_with('/') => path.to_string(),
            Some(p) => format!("{}/{}", p.guest.trim_end_matches('/'), path),
            None => format!("(fd {fd})/{path}"),
        }
    }

    fn mount_of(&self, fd: i32) -> Option<&Preopen> {
        fd.checked_sub(FIRST_PREOPEN_FD)
            .and_then(|i| self.preopens.get(i as usize))
    }
}

/// Reads a guest string for the audit record; hostile pointers just give a placeholder
/// (the real implementation then rejects them with EFAULT).
fn guest_str(mem: &[u8], ptr: i32, len: i32) -> String {
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    match start.checked_add(len).and_then(|end| mem.get(start..end)) {
        Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        None => "<invalid guest pointer>".to_string(),
    }
}

fn record(
    audit: &Audit,
    view: &FsView,
    op: &str,
    fd: i32,
    target: String,
    writing: bool,
    errno: i32,
) {
    let what = format!("fs.{op}");
    match errno {
        0 => audit.event(&what, target, Decision::Allowed, "inside a mount"),
        ERRNO_ACCES | ERRNO_PERM | ERRNO_ROFS | ERRNO_NOTCAPABLE => {
            let rule = match view.mount_of(fd) {
                Some(m) if writing && !m.writable => format!(
                    "mount `{}` is read-only; grant writes with --dir HOST::{}:rw (or writable = true)",
                    m.guest, m.guest
                ),
                _ => "the path leads outside its mount (`..`, an absolute symlink, or a symlink pointing out), or the operation is not permitted".to_string(),
            };
            audit.event(&what, target, Decision::Denied, rule);
        }
        other => audit.event(
            &what,
            target,
            Decision::Allowed,
            format!("inside a mount; failed with WASI errno {other}"),
        ),
    }
}

macro_rules! mem_ctx {
    ($caller:ident) => {{
        let Some(wasmtime::Extern::Memory(memory)) = $caller.get_export("memory") else {
            return Err(wasmtime::Error::msg(
                "the module exports no `memory`, which WASI needs",
            ));
        };
        memory.data_and_store_mut(&mut $caller)
    }};
}

/// Shadows the path operations of `wasi_snapshot_preview1` with audited versions.
pub(crate) fn add_to_linker(linker: &mut Linker<P1State>) -> wasmtime::Result<()> {
    const M: &str = "wasi_snapshot_preview1";
    linker.allow_shadowing(true);

    linker.func_wrap_async(
        M,
        "path_open",
        |mut caller: Caller<'_, P1State>,
         (fd, dirflags, ptr, len, oflags, base, inh, fdflags, out): (
            i32,
            i32,
            i32,
            i32,
            i32,
            i64,
            i64,
            i32,
            i32,
        )| {
            Box::new(async move {
                let (mem, state) = mem_ctx!(caller);
                let target = state.fs_view.describe(fd, &guest_str(mem, ptr, len));
                let writing = oflags & OFLAGS_WRITING != 0
                    || base & RIGHT_FD_WRITE != 0
                    || fdflags & FDFLAGS_APPEND != 0;
                let mut gm = wiggle::GuestMemory::Unshared(mem);
                let errno = p1::path_open(
                    &mut state.wasi,
                    &mut gm,
                    fd,
                    dirflags,
                    ptr,
                    len,
                    oflags,
                    base,
                    inh,
                    fdflags,
                    out,
                )
                .await?;
                record(
                    &state.audit,
                    &state.fs_view,
                    "open",
                    fd,
                    target,
                    writing,
                    errno,
                );
                Ok(errno)
            })
        },
    )?;

    macro_rules! one_path {
        ($name:literal, $op:literal, $func:path) => {
            linker.func_wrap_async(
                M,
                $name,
                |mut caller: Caller<'_, P1State>, (fd, ptr, len): (i32, i32, i32)| {
                    Box::new(async move {
                        let (mem, state) = mem_ctx!(caller);
                        let target = state.fs_view.describe(fd, &guest_str(mem, ptr, len));
                        let mut gm = wiggle::GuestMemory::Unshared(mem);
                        let errno = $func(&mut state.wasi, &mut gm, fd, ptr, len).await?;
                        record(&state.audit, &state.fs_view, $op, fd, target, true, errno);
                        Ok(errno)
                    })
                },
            )?;
        };
    }
    one_path!("path_create_directory", "mkdir", p1::path_create_directory);
    one_path!("path_unlink_file", "unlink", p1::path_unlink_file);
    one_path!("path_remove_directory", "rmdir", p1::path_remove_directory);

    linker.func_wrap_async(
        M,
        "path_rename",
        |mut caller: Caller<'_, P1State>,
         (fd, ptr, len, nfd, nptr, nlen): (i32, i32, i32, i32, i32, i32)| {
            Box::new(async move {
                let (mem, state) = mem_ctx!(caller);
                let from = state.fs_view.describe(fd, &guest_str(mem, ptr, len));
                let to = state.fs_view.describe(nfd, &guest_str(mem, nptr, nlen));
                let mut gm = wiggle::GuestMemory::Unshared(mem);
                let errno =
                    p1::path_rename(&mut state.wasi, &mut gm, fd, ptr, len, nfd, nptr, nlen)
                        .await?;
                record(
                    &state.audit,
                    &state.fs_view,
                    "rename",
                    fd,
                    format!("{from} -> {to}"),
                    true,
                    errno,
                );
                Ok(errno)
            })
        },
    )?;

    linker.func_wrap_async(
        M,
        "path_symlink",
        |mut caller: Caller<'_, P1State>,
         (optr, olen, fd, nptr, nlen): (i32, i32, i32, i32, i32)| {
            Box::new(async move {
                let (mem, state) = mem_ctx!(caller);
                let link = state.fs_view.describe(fd, &guest_str(mem, nptr, nlen));
                let target = format!("{link} -> {}", guest_str(mem, optr, olen));
                let mut gm = wiggle::GuestMemory::Unshared(mem);
                let errno =
                    p1::path_symlink(&mut state.wasi, &mut gm, optr, olen, fd, nptr, nlen).await?;
                record(
                    &state.audit,
                    &state.fs_view,
                    "symlink",
                    fd,
                    target,
                    true,
                    errno,
                );
                Ok(errno)
            })
        },
    )?;

    linker.func_wrap_async(
        M,
        "path_link",
        |mut caller: Caller<'_, P1State>,
         (ofd, flags, optr, olen, nfd, nptr, nlen): (i32, i32, i32, i32, i32, i32, i32)| {
            Box::new(async move {
                let (mem, state) = mem_ctx!(caller);
                let from = state.fs_view.describe(ofd, &guest_str(mem, optr, olen));
                let to = state.fs_view.describe(nfd, &guest_str(mem, nptr, nlen));
                let mut gm = wiggle::GuestMemory::Unshared(mem);
                let errno = p1::path_link(
                    &mut state.wasi,
                    &mut gm,
                    ofd,
                    flags,
                    optr,
                    olen,
                    nfd,
                    nptr,
                    nlen,
                )
                .await?;
                record(
                    &state.audit,
                    &state.fs_view,
                    "link",
                    nfd,
                    format!("{to} => {from}"),
                    true,
                    errno,
                );
                Ok(errno)
            })
        },
    )?;

    linker.allow_shadowing(false);
    Ok(())
}
