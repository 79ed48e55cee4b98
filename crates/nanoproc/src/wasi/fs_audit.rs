//! WASI preview 1 filesystem calls with nanoproc's audit and limits in front of them.
//!
//! Wasmtime's WASI implementation enforces the mounts; these wrappers shadow imports of
//! `wasi_snapshot_preview1` and then call Wasmtime's own implementation:
//!
//! * every path operation is an audit event naming the guest path, the operation and the
//!   outcome; a permission error (read-only mount, a path leading out of its mount) is a
//!   denial with how to grant it;
//! * `path_open` is refused with `mfile` once the guest holds `max_fds` descriptors it opened
//!   (`fd_close` and `fd_renumber` are tracked so closing frees a slot);
//! * `fd_write`, `fd_pwrite`, `fd_filestat_set_size` and `fd_allocate` on files the guest
//!   opened for writing are charged against the disk quota by how much they grow the file, and
//!   refused with `nospc` (writing nothing) when that does not fit (whether a descriptor is
//!   charged is worked out once when it is opened; `fd_fdstat_set_flags` is tracked for the
//!   append flag; each charged write then costs one extra `fstat`);
//! * `path_symlink` is refused with `perm` unless the policy allows symlinks.
//!
//! The same wrappers serve `run` (an async linker) and plugins (a sync one): see
//! [`add_to_linker_async`] and [`add_to_linker_sync`].
//!
//! Note that wasi-libc refuses paths outside every mount without calling the host at all;
//! such attempts cannot be seen here (the CLI hints at `--dir` when a run fails instead).

use super::fs_guard::{FsGuard, P1Open, join_guest};
use crate::audit::Decision;
use wasmtime::{Caller, Linker};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p1::wasi_snapshot_preview1::{self as p1, WasiSnapshotPreview1};
use wiggle::GuestMemory;

/// Store state that holds a WASI p1 context and its [`FsGuard`].
pub(crate) trait P1Host: Send + 'static {
    /// The WASI context and the filesystem guard of this store.
    fn p1_parts(&mut self) -> wasmtime::Result<(&mut WasiP1Ctx, &mut FsGuard)>;
}

const FIRST_PREOPEN_FD: u32 = 3;
/// WASI errnos (`wasi_snapshot_preview1.witx`).
const ERRNO_ACCES: i32 = 2;
const ERRNO_MFILE: i32 = 33;
const ERRNO_NOSPC: i32 = 51;
const ERRNO_PERM: i32 = 63;
const ERRNO_ROFS: i32 = 69;
const ERRNO_NOTCAPABLE: i32 = 76;
const OFLAGS_WRITING: i32 = 0x1 | 0x8; // creat | trunc
const RIGHT_FD_WRITE: i64 = 1 << 6;
const FDFLAGS_APPEND: i32 = 0x1;

impl FsGuard {
    /// The guest path for `path` relative to p1 descriptor `fd`.
    fn describe(&self, fd: i32, path: &str) -> String {
        let fd = fd as u32;
        if let Some(dir) = self.p1_open.get(&fd) {
            return join_guest(&dir.path, path);
        }
        match fd
            .checked_sub(FIRST_PREOPEN_FD)
            .and_then(|i| self.preopens.get(i as usize))
        {
            Some(p) => join_guest(&p.guest, path),
            None => format!("(fd {fd})/{path}"),
        }
    }

    /// The guest path of descriptor `fd` itself.
    fn describe_fd(&self, fd: i32) -> String {
        match self.p1_open.get(&(fd as u32)) {
            Some(p) => p.path.clone(),
            None => format!("(fd {fd})"),
        }
    }

    fn record(&self, op: &str, target: String, writing: bool, errno: i32) {
        let what = format!("fs.{op}");
        match errno {
            0 => self
                .audit
                .event(&what, target, Decision::Allowed, "inside a mount"),
            ERRNO_ACCES | ERRNO_PERM | ERRNO_ROFS | ERRNO_NOTCAPABLE => {
                let rule = Self::denial_rule(self.mount_containing(&target), writing);
                self.audit.event(&what, target, Decision::Denied, rule);
            }
            other => self.audit.event(
                &what,
                target,
                Decision::Allowed,
                format!("inside a mount; failed with WASI errno {other}"),
            ),
        }
    }

    fn note_p1_open(&mut self) {
        self.fds.note(self.p1_open.len());
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

/// Reads a little-endian u32 from guest memory; `None` if out of bounds.
fn guest_u32(mem: &[u8], ptr: i32) -> Option<u32> {
    let start = ptr as u32 as usize;
    let bytes = mem.get(start..start.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// The length of the buffer `fd_write`/`fd_pwrite` will write: Wasmtime writes only the
/// first non-empty one of the `ciovec`s. `None` if the array is out of bounds or larger than
/// the call's host-call `fuel` allows (the real call then fails without writing, so a hostile
/// count cannot make this loop long).
fn first_write_len(mem: &[u8], iovs: i32, iovs_len: i32, fuel: usize) -> Option<u64> {
    let count = iovs_len as u32;
    if u64::from(count) * 8 > fuel as u64 {
        return None;
    }
    for i in 0..count {
        let at = (iovs as u32).checked_add(i.checked_mul(8)?)?;
        let len = guest_u32(mem, at.checked_add(4)? as i32)?;
        guest_u32(mem, at as i32)?;
        if len != 0 {
            return Some(u64::from(len));
        }
    }
    Some(0)
}

/// How a write to a file will grow it, worked out before the write: `size` the file's size,
/// `start` where the write begins (`None`: at the end, append mode).
#[derive(Clone, Copy)]
struct Growth {
    size: u64,
    start: Option<u64>,
}

impl Growth {
    /// Bytes by which writing `n` bytes grows the file.
    fn of(self, n: u64) -> u64 {
        match self.start {
            None => n,
            Some(start) => start.saturating_add(n).saturating_sub(self.size),
        }
    }
}

/// For a quota-charged descriptor: its size and where the write lands (`at`: a `pwrite`
/// offset; `None`: the current position). `None` means "not charged" (the real call decides).
async fn growth_of(
    wasi: &mut WasiP1Ctx,
    guard: &FsGuard,
    mem: &mut [u8],
    fd: i32,
    at: Option<u64>,
) -> Option<Growth> {
    guard.quota.as_ref()?;
    let open = guard.p1_open.get(&(fd as u32)).filter(|o| o.charged)?;
    let mut gm = GuestMemory::Unshared(mem);
    let fd = wasmtime_wasi::p1::types::Fd::from(fd as u32);
    let size = wasi.fd_filestat_get(&mut gm, fd).await.ok()?.size;
    let start = if open.append {
        None
    } else {
        match at {
            Some(offset) => Some(offset),
            None => Some(wasi.fd_tell(&mut gm, fd).ok()?),
        }
    };
    Some(Growth { size, start })
}

/// Whether writes to a descriptor the guest just opened are charged (a quota is set and it
/// is a regular file opened for writing), and whether it appends. Asked once per open.
async fn charged_open(
    wasi: &mut WasiP1Ctx,
    guard: &FsGuard,
    mem: &mut [u8],
    fd: u32,
) -> (bool, bool) {
    use wasmtime_wasi::p1::types::{Fdflags, Filetype, Rights};
    if guard.quota.is_none() {
        return (false, false);
    }
    let mut gm = GuestMemory::Unshared(mem);
    match wasi
        .fd_fdstat_get(&mut gm, wasmtime_wasi::p1::types::Fd::from(fd))
        .await
    {
        Ok(stat) => (
            stat.fs_filetype == Filetype::RegularFile
                && stat.fs_rights_base.contains(Rights::FD_WRITE),
            stat.fs_flags.contains(Fdflags::APPEND),
        ),
        // Not answerable: charge every write as an append (the most it can grow the file).
        Err(_) => (true, true),
    }
}

/// The guest memory, the store state and the store's host-call fuel (how many bytes a WASI
/// call may copy out of the guest), as Wasmtime's own p1 bindings fetch them.
macro_rules! mem_ctx {
    ($caller:ident) => {{
        let fuel = wasmtime::AsContextMut::as_context_mut(&mut $caller).hostcall_fuel();
        let Some(wasmtime::Extern::Memory(memory)) = $caller.get_export("memory") else {
            return Err(wasmtime::Error::msg(
                "the module exports no `memory`, which WASI needs",
            ));
        };
        let (mem, state) = memory.data_and_store_mut(&mut $caller);
        (mem, Fueled { state, fuel })
    }};
}

/// The store state, with the host-call fuel to hand to the WASI context before each call.
struct Fueled<'a, T> {
    state: &'a mut T,
    fuel: usize,
}

impl<T: P1Host> Fueled<'_, T> {
    /// The WASI context (its host-call fuel refilled, as Wasmtime's bindings do before every
    /// call: it bounds what one call may copy) and the filesystem guard.
    fn parts(&mut self) -> wasmtime::Result<(&mut WasiP1Ctx, &mut FsGuard)> {
        let (wasi, guard) = self.state.p1_parts()?;
        wasi.set_hostcall_fuel(self.fuel);
        Ok((wasi, guard))
    }
}

/// Registers `$imp` (an `async fn(&mut [u8], &mut Fueled<T>, args…) -> wasmtime::Result<i32>`) as
/// import `$name`, async or sync (blocking on Tokio as Wasmtime's own sync bindings do).
macro_rules! shadow {
    ($linker:ident, $sync:ident, $name:literal, $imp:ident, ($($arg:ident : $ty:ty),*)) => {
        if $sync {
            $linker.func_wrap(
                M,
                $name,
                |mut caller: Caller<'_, T>, $($arg: $ty),*| -> wasmtime::Result<i32> {
                    let (mem, mut state) = mem_ctx!(caller);
                    wasmtime_wasi::runtime::in_tokio($imp(mem, &mut state, $($arg),*))
                },
            )?;
        } else {
            $linker.func_wrap_async(
                M,
                $name,
                |mut caller: Caller<'_, T>, ($($arg,)*): ($($ty,)*)| {
                    Box::new(async move {
                        let (mem, mut state) = mem_ctx!(caller);
                        $imp(mem, &mut state, $($arg),*).await
                    })
                },
            )?;
        }
    };
}

const M: &str = "wasi_snapshot_preview1";

/// Shadows the audited and limited calls of `wasi_snapshot_preview1` in an async linker
/// (after `wasmtime_wasi::p1::add_to_linker_async`).
pub(crate) fn add_to_linker_async<T: P1Host>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    add_to_linker(linker, false)
}

/// Shadows the same calls in a sync linker (after `wasmtime_wasi::p1::add_to_linker_sync`).
pub(crate) fn add_to_linker_sync<T: P1Host>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    add_to_linker(linker, true)
}

fn add_to_linker<T: P1Host>(linker: &mut Linker<T>, sync: bool) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    shadow!(linker, sync, "path_open", path_open, (fd: i32, dirflags: i32, ptr: i32, len: i32, oflags: i32, base: i64, inh: i64, fdflags: i32, out: i32));
    shadow!(linker, sync, "fd_close", fd_close, (fd: i32));
    shadow!(linker, sync, "fd_renumber", fd_renumber, (from: i32, to: i32));
    shadow!(linker, sync, "fd_fdstat_set_flags", fd_fdstat_set_flags, (fd: i32, flags: i32));
    shadow!(linker, sync, "fd_write", fd_write, (fd: i32, iovs: i32, iovs_len: i32, out: i32));
    shadow!(linker, sync, "fd_pwrite", fd_pwrite, (fd: i32, iovs: i32, iovs_len: i32, offset: i64, out: i32));
    shadow!(linker, sync, "fd_filestat_set_size", fd_filestat_set_size, (fd: i32, size: i64));
    shadow!(linker, sync, "fd_allocate", fd_allocate, (fd: i32, offset: i64, len: i64));
    shadow!(linker, sync, "path_create_directory", path_create_directory, (fd: i32, ptr: i32, len: i32));
    shadow!(linker, sync, "path_unlink_file", path_unlink_file, (fd: i32, ptr: i32, len: i32));
    shadow!(linker, sync, "path_remove_directory", path_remove_directory, (fd: i32, ptr: i32, len: i32));
    shadow!(linker, sync, "path_rename", path_rename, (fd: i32, ptr: i32, len: i32, nfd: i32, nptr: i32, nlen: i32));
    shadow!(linker, sync, "path_symlink", path_symlink, (optr: i32, olen: i32, fd: i32, nptr: i32, nlen: i32));
    shadow!(linker, sync, "path_link", path_link, (ofd: i32, flags: i32, optr: i32, olen: i32, nfd: i32, nptr: i32, nlen: i32));
    linker.allow_shadowing(false);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn path_open<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    dirflags: i32,
    ptr: i32,
    len: i32,
    oflags: i32,
    base: i64,
    inh: i64,
    fdflags: i32,
    out: i32,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let target = guard.describe(fd, &guest_str(mem, ptr, len));
    if guard.fds.check(guard.p1_open.len(), &target).is_err() {
        return Ok(ERRNO_MFILE);
    }
    let writing =
        oflags & OFLAGS_WRITING != 0 || base & RIGHT_FD_WRITE != 0 || fdflags & FDFLAGS_APPEND != 0;
    let errno = p1::path_open(
        wasi,
        &mut GuestMemory::Unshared(mem),
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
    if errno == 0
        && let Some(new_fd) = guest_u32(mem, out)
    {
        let (charged, append) = charged_open(wasi, guard, mem, new_fd).await;
        guard.p1_open.insert(
            new_fd,
            P1Open {
                path: target.clone(),
                charged,
                append,
            },
        );
        guard.note_p1_open();
    }
    guard.record("open", target, writing, errno);
    Ok(errno)
}

async fn fd_close<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let errno = p1::fd_close(wasi, &mut GuestMemory::Unshared(mem), fd).await?;
    if errno == 0 {
        guard.p1_open.remove(&(fd as u32));
    }
    Ok(errno)
}

async fn fd_renumber<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    from: i32,
    to: i32,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let errno = p1::fd_renumber(wasi, &mut GuestMemory::Unshared(mem), from, to).await?;
    if errno == 0 && from != to {
        // `to` was closed and `from` now lives there.
        let moved = guard.p1_open.remove(&(from as u32));
        guard.p1_open.remove(&(to as u32));
        if let Some(open) = moved {
            guard.p1_open.insert(to as u32, open);
        }
    }
    Ok(errno)
}

/// Tracks the append flag, which decides where writes land.
async fn fd_fdstat_set_flags<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    flags: i32,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let errno = p1::fd_fdstat_set_flags(wasi, &mut GuestMemory::Unshared(mem), fd, flags)?;
    if errno == 0
        && let Some(open) = guard.p1_open.get_mut(&(fd as u32))
    {
        open.append = flags & FDFLAGS_APPEND != 0;
    }
    Ok(errno)
}

/// Charges `growth` for a write to `fd`; `Err(errno)` if the quota refuses it.
fn charge(guard: &FsGuard, fd: i32, growth: u64) -> Result<(), i32> {
    match &guard.quota {
        Some(q) => q
            .charge(growth, &guard.describe_fd(fd))
            .map_err(|_| ERRNO_NOSPC),
        None => Ok(()),
    }
}

/// Settles a charge after the write: everything back if it failed, the unused part if it
/// wrote less than asked.
fn settle(guard: &FsGuard, growth: Option<Growth>, asked: u64, errno: i32, written: Option<u32>) {
    let (Some(g), Some(q)) = (growth, &guard.quota) else {
        return;
    };
    let charged = g.of(asked);
    let used = match (errno, written) {
        (0, Some(n)) => g.of(u64::from(n).min(asked)),
        (0, None) => charged,
        _ => 0,
    };
    q.refund(charged.saturating_sub(used));
}

async fn write_common<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    offset: Option<i64>,
    out: i32,
) -> wasmtime::Result<i32> {
    let fuel = state.fuel;
    let (wasi, guard) = state.parts()?;
    let charged = guard.p1_open.get(&(fd as u32)).is_some_and(|o| o.charged);
    let asked = if guard.quota.is_some() && charged {
        first_write_len(mem, iovs, iovs_len, fuel)
    } else {
        None
    };
    let growth = match asked {
        Some(n) if n > 0 => growth_of(wasi, guard, mem, fd, offset.map(|o| o as u64)).await,
        _ => None,
    };
    let asked = asked.unwrap_or(0);
    if let Some(g) = growth
        && let Err(errno) = charge(guard, fd, g.of(asked))
    {
        return Ok(errno);
    }
    let mut gm = GuestMemory::Unshared(mem);
    let errno = match offset {
        None => p1::fd_write(wasi, &mut gm, fd, iovs, iovs_len, out).await?,
        Some(o) => p1::fd_pwrite(wasi, &mut gm, fd, iovs, iovs_len, o, out).await?,
    };
    settle(guard, growth, asked, errno, guest_u32(mem, out));
    Ok(errno)
}

async fn fd_write<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    out: i32,
) -> wasmtime::Result<i32> {
    write_common(mem, state, fd, iovs, iovs_len, None, out).await
}

async fn fd_pwrite<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    offset: i64,
    out: i32,
) -> wasmtime::Result<i32> {
    write_common(mem, state, fd, iovs, iovs_len, Some(offset), out).await
}

/// `ftruncate`: growing a file is charged like writing zeros.
async fn fd_filestat_set_size<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    size: i64,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    // The new size counts from the start of the file, whatever the append flag says.
    let growth = growth_of(wasi, guard, mem, fd, Some(0))
        .await
        .map(|g| Growth {
            start: Some(0),
            ..g
        });
    let new_size = size as u64;
    if let Some(g) = growth
        && let Err(errno) = charge(guard, fd, g.of(new_size))
    {
        return Ok(errno);
    }
    let errno = p1::fd_filestat_set_size(wasi, &mut GuestMemory::Unshared(mem), fd, size).await?;
    settle(guard, growth, new_size, errno, None);
    Ok(errno)
}

/// `posix_fallocate`: Wasmtime answers `notsup`, but should it ever allocate, the growth is
/// charged first.
async fn fd_allocate<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    offset: i64,
    len: i64,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let growth = growth_of(wasi, guard, mem, fd, Some(offset as u64))
        .await
        .map(|g| Growth {
            start: Some(offset as u64),
            ..g
        });
    let len = len as u64;
    if let Some(g) = growth
        && let Err(errno) = charge(guard, fd, g.of(len))
    {
        return Ok(errno);
    }
    let errno = p1::fd_allocate(
        wasi,
        &mut GuestMemory::Unshared(mem),
        fd,
        offset,
        len as i64,
    )?;
    settle(guard, growth, len, errno, None);
    Ok(errno)
}

macro_rules! one_path {
    ($fn:ident, $op:literal, $func:path) => {
        async fn $fn<T: P1Host>(
            mem: &mut [u8],
            state: &mut Fueled<'_, T>,
            fd: i32,
            ptr: i32,
            len: i32,
        ) -> wasmtime::Result<i32> {
            let (wasi, guard) = state.parts()?;
            let target = guard.describe(fd, &guest_str(mem, ptr, len));
            let errno = $func(wasi, &mut GuestMemory::Unshared(mem), fd, ptr, len).await?;
            guard.record($op, target, true, errno);
            Ok(errno)
        }
    };
}
one_path!(path_create_directory, "mkdir", p1::path_create_directory);
one_path!(path_unlink_file, "unlink", p1::path_unlink_file);
one_path!(path_remove_directory, "rmdir", p1::path_remove_directory);

#[allow(clippy::too_many_arguments)]
async fn path_rename<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    fd: i32,
    ptr: i32,
    len: i32,
    nfd: i32,
    nptr: i32,
    nlen: i32,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let from = guard.describe(fd, &guest_str(mem, ptr, len));
    let to = guard.describe(nfd, &guest_str(mem, nptr, nlen));
    let errno = p1::path_rename(
        wasi,
        &mut GuestMemory::Unshared(mem),
        fd,
        ptr,
        len,
        nfd,
        nptr,
        nlen,
    )
    .await?;
    guard.record("rename", format!("{from} -> {to}"), true, errno);
    Ok(errno)
}

async fn path_symlink<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    optr: i32,
    olen: i32,
    fd: i32,
    nptr: i32,
    nlen: i32,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let link = guard.describe(fd, &guest_str(mem, nptr, nlen));
    let points_at = guest_str(mem, optr, olen);
    if !guard.allow_symlinks {
        guard.deny_symlink(&link, &points_at);
        return Ok(ERRNO_PERM);
    }
    let errno = p1::path_symlink(
        wasi,
        &mut GuestMemory::Unshared(mem),
        optr,
        olen,
        fd,
        nptr,
        nlen,
    )
    .await?;
    guard.record("symlink", format!("{link} -> {points_at}"), true, errno);
    Ok(errno)
}

#[allow(clippy::too_many_arguments)]
async fn path_link<T: P1Host>(
    mem: &mut [u8],
    state: &mut Fueled<'_, T>,
    ofd: i32,
    flags: i32,
    optr: i32,
    olen: i32,
    nfd: i32,
    nptr: i32,
    nlen: i32,
) -> wasmtime::Result<i32> {
    let (wasi, guard) = state.parts()?;
    let from = guard.describe(ofd, &guest_str(mem, optr, olen));
    let to = guard.describe(nfd, &guest_str(mem, nptr, nlen));
    let errno = p1::path_link(
        wasi,
        &mut GuestMemory::Unshared(mem),
        ofd,
        flags,
        optr,
        olen,
        nfd,
        nptr,
        nlen,
    )
    .await?;
    guard.record("link", format!("{to} => {from}"), true, errno);
    Ok(errno)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_write_len_matches_wasmtime() {
        // Two iovecs at 0: (ptr 16, len 0), (ptr 16, len 5).
        let mut mem = vec![0u8; 64];
        mem[0..4].copy_from_slice(&16u32.to_le_bytes());
        mem[8..12].copy_from_slice(&16u32.to_le_bytes());
        mem[12..16].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(first_write_len(&mem, 0, 2, 1024), Some(5));
        assert_eq!(first_write_len(&mem, 0, 1, 1024), Some(0));
        assert_eq!(first_write_len(&mem, 60, 1, 1024), None);
        assert_eq!(first_write_len(&mem, -8, 3, 1024), None);
        // More iovecs than the host-call fuel covers: refused without looking at them.
        assert_eq!(first_write_len(&mem, 0, 2, 15), None);
        // A huge count over empty iovecs stops at the end of memory.
        assert_eq!(first_write_len(&[0u8; 64], 0, -1, usize::MAX), None);
    }

    #[test]
    fn growth_counts_only_bytes_past_the_end() {
        let at = |start, size| Growth {
            size,
            start: Some(start),
        };
        assert_eq!(at(0, 100).of(50), 0);
        assert_eq!(at(90, 100).of(20), 10);
        assert_eq!(at(200, 100).of(1), 101);
        assert_eq!(
            Growth {
                size: 100,
                start: None
            }
            .of(7),
            7
        );
        assert_eq!(at(u64::MAX, 0).of(10), u64::MAX);
    }
}
