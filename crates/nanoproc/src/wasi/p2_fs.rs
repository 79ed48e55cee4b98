//! WASI preview 2 filesystem and socket creation with nanoproc's audit and limits in front.
//!
//! `wasmtime_wasi::p2::add_to_linker_async` links `wasi:filesystem/types`,
//! `wasi:filesystem/preopens`, `wasi:sockets/tcp-create-socket` and
//! `wasi:sockets/udp-create-socket` to Wasmtime's own views. [`add_to_linker`] links them a
//! second time (shadowing) to views that wrap those same views, so every call still runs
//! Wasmtime's implementation, with these additions:
//!
//! * path operations (`open-at`, `create-directory-at`, `unlink-file-at`,
//!   `remove-directory-at`, `rename-at`, `symlink-at`, `link-at`) are audit events with the
//!   guest path, like WASI p1's (`fs_audit.rs`);
//! * `open-at` fails with `insufficient-memory` (wasi:filesystem has no "too many open files")
//!   and `create-tcp-socket`/`create-udp-socket` with `new-socket-limit` once the guest holds
//!   `max_fds` descriptors it opened; dropping one frees its slot;
//! * with a disk quota, `write`, `set-size` and the streams from `write-via-stream` and
//!   `append-via-stream` (how wasi-libc writes files) are charged by how much they grow the
//!   file, and refused with `insufficient-space` (writing nothing) when that does not fit;
//! * `symlink-at` fails with `not-permitted` unless the policy allows symlinks.

use super::fs_guard::{FsGuard, SocketKind, join_guest};
use super::p2::P2State;
use crate::audit::Decision;
use crate::limits::{DiskQuota, QuotaExceeded};
use std::sync::Arc;
use types::{ErrorCode, HostDescriptor, HostDirectoryEntryStream};
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::filesystem::{Descriptor, OpenMode, WasiFilesystemCtxView};
use wasmtime_wasi::p2::bindings::filesystem::{preopens, types};
use wasmtime_wasi::p2::bindings::sockets::{network, tcp_create_socket, udp_create_socket};
use wasmtime_wasi::p2::{
    DynInputStream, DynOutputStream, FsError, FsResult, OutputStream, Pollable, SocketResult,
    StreamError, StreamResult, TcpSocket, UdpSocket,
};
use wasmtime_wasi::sockets::WasiSocketsCtxView;

/// `wasi:filesystem` through the guard.
pub(crate) struct GuardedFs;

impl HasData for GuardedFs {
    type Data<'a> = GuardedFsView<'a>;
}

/// Wasmtime's filesystem view plus this sandbox's [`FsGuard`].
pub(crate) struct GuardedFsView<'a> {
    fs: WasiFilesystemCtxView<'a>,
    guard: &'a mut FsGuard,
}

/// Socket creation through the guard.
pub(crate) struct GuardedSockets;

impl HasData for GuardedSockets {
    type Data<'a> = GuardedSocketsView<'a>;
}

/// Wasmtime's sockets view plus this sandbox's [`FsGuard`].
pub(crate) struct GuardedSocketsView<'a> {
    sockets: WasiSocketsCtxView<'a>,
    guard: &'a mut FsGuard,
}

fn fs_view<X>(s: &mut P2State<X>) -> GuardedFsView<'_> {
    GuardedFsView {
        fs: WasiFilesystemCtxView {
            ctx: s.ctx.filesystem(),
            table: &mut s.table,
        },
        guard: &mut s.fs,
    }
}

fn sockets_view<X>(s: &mut P2State<X>) -> GuardedSocketsView<'_> {
    GuardedSocketsView {
        sockets: WasiSocketsCtxView {
            ctx: s.ctx.sockets(),
            table: &mut s.table,
        },
        guard: &mut s.fs,
    }
}

/// Shadows the guarded interfaces in `linker` (after `wasmtime_wasi::p2::add_to_linker_async`; see `p2::add_to_linker`).
pub(crate) fn add_to_linker<X: Send + 'static>(
    linker: &mut Linker<P2State<X>>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    types::add_to_linker::<P2State<X>, GuardedFs>(linker, fs_view)?;
    preopens::add_to_linker::<P2State<X>, GuardedFs>(linker, fs_view)?;
    tcp_create_socket::add_to_linker::<P2State<X>, GuardedSockets>(linker, sockets_view)?;
    udp_create_socket::add_to_linker::<P2State<X>, GuardedSockets>(linker, sockets_view)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Descriptors the guest holds that it opened itself: files and directories still held by a
/// descriptor or a stream, and live sockets (what the guest let go of is pruned here).
///
/// A socket's streams are its children in the resource table, so it cannot be dropped while
/// they live; a file's streams are not, so files are tracked by their host handle instead.
fn open_count(guard: &mut FsGuard, table: &ResourceTable) -> usize {
    guard.p2_sockets.retain(|&(rep, kind)| match kind {
        SocketKind::Tcp => table.get(&Resource::<TcpSocket>::new_borrow(rep)).is_ok(),
        SocketKind::Udp => table.get(&Resource::<UdpSocket>::new_borrow(rep)).is_ok(),
    });
    guard.p2_open.retain(|f| Arc::strong_count(f) > 1);
    guard.p2_open.len() + guard.p2_sockets.len()
}

impl FsGuard {
    fn p2_path(&self, fd: &Resource<Descriptor>) -> String {
        self.p2_paths
            .get(&fd.rep())
            .cloned()
            .unwrap_or_else(|| format!("(descriptor {})", fd.rep()))
    }

    fn record_p2<T>(&self, op: &str, target: String, writing: bool, result: &FsResult<T>) {
        let what = format!("fs.{op}");
        match result {
            Ok(_) => self
                .audit
                .event(&what, target, Decision::Allowed, "inside a mount"),
            Err(e) => match e.downcast_ref() {
                Some(ErrorCode::NotPermitted | ErrorCode::Access | ErrorCode::ReadOnly) => {
                    let rule = Self::denial_rule(self.mount_containing(&target), writing);
                    self.audit.event(&what, target, Decision::Denied, rule);
                }
                Some(code) => self.audit.event(
                    &what,
                    target,
                    Decision::Allowed,
                    format!("inside a mount; failed with {code:?}"),
                ),
                None => {}
            },
        }
    }
}

impl GuardedFsView<'_> {
    /// The host file behind `fd` if writes to it are charged: a quota is set and `fd` is a
    /// file opened for writing in a writable mount (anything else fails in Wasmtime anyway).
    fn charged_file(&self, fd: &Resource<Descriptor>) -> Option<(Arc<std::fs::File>, DiskQuota)> {
        let quota = self.guard.quota.clone()?;
        match self.fs.table.get(fd).ok()? {
            Descriptor::File(f)
                if !f.perms.write_not_permitted() && f.open_mode.contains(OpenMode::WRITE) =>
            {
                Some((f.file.clone(), quota))
            }
            _ => None,
        }
    }
}

/// The size of `file`, or 0 if it cannot be read (so the whole write end is charged).
fn size_of(file: &std::fs::File) -> u64 {
    file.metadata().map(|m| m.len()).unwrap_or(0)
}

fn no_space() -> FsError {
    ErrorCode::InsufficientSpace.into()
}

impl types::Host for GuardedFsView<'_> {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<ErrorCode> {
        types::Host::convert_error_code(&mut self.fs, err)
    }

    fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        if self.fs.table.get(&err)?.is::<QuotaExceeded>() {
            return Ok(Some(ErrorCode::InsufficientSpace));
        }
        types::Host::filesystem_error_code(&mut self.fs, err)
    }
}

impl preopens::Host for GuardedFsView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        let dirs = preopens::Host::get_directories(&mut self.fs)?;
        for (fd, path) in &dirs {
            self.guard.p2_paths.insert(fd.rep(), path.clone());
        }
        Ok(dirs)
    }
}

impl HostDescriptor for GuardedFsView<'_> {
    async fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
        len: types::Filesize,
        advice: types::Advice,
    ) -> FsResult<()> {
        HostDescriptor::advise(&mut self.fs, fd, offset, len, advice).await
    }

    async fn sync_data(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        HostDescriptor::sync_data(&mut self.fs, fd).await
    }

    async fn get_flags(&mut self, fd: Resource<Descriptor>) -> FsResult<types::DescriptorFlags> {
        HostDescriptor::get_flags(&mut self.fs, fd).await
    }

    async fn get_type(&mut self, fd: Resource<Descriptor>) -> FsResult<types::DescriptorType> {
        HostDescriptor::get_type(&mut self.fs, fd).await
    }

    async fn set_size(&mut self, fd: Resource<Descriptor>, size: types::Filesize) -> FsResult<()> {
        let Some((file, quota)) = self.charged_file(&fd) else {
            return HostDescriptor::set_size(&mut self.fs, fd, size).await;
        };
        let growth = size.saturating_sub(size_of(&file));
        if quota.charge(growth, &self.guard.p2_path(&fd)).is_err() {
            return Err(no_space());
        }
        let result = HostDescriptor::set_size(&mut self.fs, fd, size).await;
        if result.is_err() {
            quota.refund(growth);
        }
        result
    }

    async fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> FsResult<()> {
        HostDescriptor::set_times(&mut self.fs, fd, atim, mtim).await
    }

    async fn read(
        &mut self,
        fd: Resource<Descriptor>,
        len: types::Filesize,
        offset: types::Filesize,
    ) -> FsResult<(Vec<u8>, bool)> {
        HostDescriptor::read(&mut self.fs, fd, len, offset).await
    }

    async fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buf: Vec<u8>,
        offset: types::Filesize,
    ) -> FsResult<types::Filesize> {
        let Some((file, quota)) = self.charged_file(&fd) else {
            return HostDescriptor::write(&mut self.fs, fd, buf, offset).await;
        };
        let size = size_of(&file);
        let asked = buf.len() as u64;
        let growth = offset.saturating_add(asked).saturating_sub(size);
        if quota.charge(growth, &self.guard.p2_path(&fd)).is_err() {
            return Err(no_space());
        }
        let result = HostDescriptor::write(&mut self.fs, fd, buf, offset).await;
        let used = match &result {
            Ok(n) => offset.saturating_add(*n).saturating_sub(size).min(growth),
            Err(_) => 0,
        };
        quota.refund(growth - used);
        result
    }

    async fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<types::DirectoryEntryStream>> {
        HostDescriptor::read_directory(&mut self.fs, fd).await
    }

    async fn sync(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        HostDescriptor::sync(&mut self.fs, fd).await
    }

    async fn create_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        let target = join_guest(&self.guard.p2_path(&fd), &path);
        let result = HostDescriptor::create_directory_at(&mut self.fs, fd, path).await;
        self.guard.record_p2("mkdir", target, true, &result);
        result
    }

    async fn stat(&mut self, fd: Resource<Descriptor>) -> FsResult<types::DescriptorStat> {
        HostDescriptor::stat(&mut self.fs, fd).await
    }

    async fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
    ) -> FsResult<types::DescriptorStat> {
        HostDescriptor::stat_at(&mut self.fs, fd, path_flags, path).await
    }

    async fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        atim: types::NewTimestamp,
        mtim: types::NewTimestamp,
    ) -> FsResult<()> {
        HostDescriptor::set_times_at(&mut self.fs, fd, path_flags, path, atim, mtim).await
    }

    async fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path_flags: types::PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let from = join_guest(&self.guard.p2_path(&fd), &old_path);
        let to = join_guest(&self.guard.p2_path(&new_descriptor), &new_path);
        let result = HostDescriptor::link_at(
            &mut self.fs,
            fd,
            old_path_flags,
            old_path,
            new_descriptor,
            new_path,
        )
        .await;
        self.guard
            .record_p2("link", format!("{to} => {from}"), true, &result);
        result
    }

    async fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
        oflags: types::OpenFlags,
        flags: types::DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let target = join_guest(&self.guard.p2_path(&fd), &path);
        let open = open_count(self.guard, self.fs.table);
        if self.guard.fds.check(open, &target).is_err() {
            return Err(ErrorCode::InsufficientMemory.into());
        }
        let writing = oflags.intersects(types::OpenFlags::CREATE | types::OpenFlags::TRUNCATE)
            || flags.intersects(
                types::DescriptorFlags::WRITE | types::DescriptorFlags::MUTATE_DIRECTORY,
            );
        let result =
            HostDescriptor::open_at(&mut self.fs, fd, path_flags, path, oflags, flags).await;
        if let Ok(new) = &result {
            self.guard.p2_paths.insert(new.rep(), target.clone());
            match self.fs.table.get(new) {
                Ok(Descriptor::File(f)) => self.guard.p2_open.push(f.file.clone()),
                Ok(Descriptor::Dir(d)) => self.guard.p2_open.push(d.dir.clone()),
                Err(_) => {}
            }
            self.guard.fds.note(open + 1);
        }
        self.guard.record_p2("open", target, writing, &result);
        result
    }

    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        let rep = fd.rep();
        HostDescriptor::drop(&mut self.fs, fd)?;
        self.guard.p2_paths.remove(&rep);
        Ok(())
    }

    async fn readlink_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<String> {
        HostDescriptor::readlink_at(&mut self.fs, fd, path).await
    }

    async fn remove_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        let target = join_guest(&self.guard.p2_path(&fd), &path);
        let result = HostDescriptor::remove_directory_at(&mut self.fs, fd, path).await;
        self.guard.record_p2("rmdir", target, true, &result);
        result
    }

    async fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let from = join_guest(&self.guard.p2_path(&fd), &old_path);
        let to = join_guest(&self.guard.p2_path(&new_fd), &new_path);
        let result = HostDescriptor::rename_at(&mut self.fs, fd, old_path, new_fd, new_path).await;
        self.guard
            .record_p2("rename", format!("{from} -> {to}"), true, &result);
        result
    }

    async fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        src_path: String,
        dest_path: String,
    ) -> FsResult<()> {
        let link = join_guest(&self.guard.p2_path(&fd), &dest_path);
        if !self.guard.allow_symlinks {
            self.guard.deny_symlink(&link, &src_path);
            return Err(ErrorCode::NotPermitted.into());
        }
        let target = format!("{link} -> {src_path}");
        let result = HostDescriptor::symlink_at(&mut self.fs, fd, src_path, dest_path).await;
        self.guard.record_p2("symlink", target, true, &result);
        result
    }

    async fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        let target = join_guest(&self.guard.p2_path(&fd), &path);
        let result = HostDescriptor::unlink_file_at(&mut self.fs, fd, path).await;
        self.guard.record_p2("unlink", target, true, &result);
        result
    }

    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
    ) -> FsResult<Resource<DynInputStream>> {
        HostDescriptor::read_via_stream(&mut self.fs, fd, offset)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: types::Filesize,
    ) -> FsResult<Resource<DynOutputStream>> {
        let charged = self.charged_file(&fd);
        let target = self.guard.p2_path(&fd);
        let stream = HostDescriptor::write_via_stream(&mut self.fs, fd, offset)?;
        self.wrap_stream(stream, charged, target, Some(offset))
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DynOutputStream>> {
        let charged = self.charged_file(&fd);
        let target = self.guard.p2_path(&fd);
        let stream = HostDescriptor::append_via_stream(&mut self.fs, fd)?;
        self.wrap_stream(stream, charged, target, None)
    }

    async fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        HostDescriptor::is_same_object(&mut self.fs, a, b).await
    }

    async fn metadata_hash(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<types::MetadataHashValue> {
        HostDescriptor::metadata_hash(&mut self.fs, fd).await
    }

    async fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: types::PathFlags,
        path: String,
    ) -> FsResult<types::MetadataHashValue> {
        HostDescriptor::metadata_hash_at(&mut self.fs, fd, path_flags, path).await
    }
}

impl GuardedFsView<'_> {
    /// Replaces the stream Wasmtime made with one that charges the quota, when writes to
    /// this file are charged.
    fn wrap_stream(
        &mut self,
        stream: Resource<DynOutputStream>,
        charged: Option<(Arc<std::fs::File>, DiskQuota)>,
        target: String,
        position: Option<u64>,
    ) -> FsResult<Resource<DynOutputStream>> {
        let Some((file, quota)) = charged else {
            return Ok(stream);
        };
        let inner = self.fs.table.delete(stream)?;
        let wrapped: DynOutputStream = Box::new(QuotaStream {
            inner,
            file,
            position,
            quota,
            target,
        });
        Ok(self.fs.table.push(wrapped)?)
    }
}

impl HostDirectoryEntryStream for GuardedFsView<'_> {
    async fn read_directory_entry(
        &mut self,
        stream: Resource<types::DirectoryEntryStream>,
    ) -> FsResult<Option<types::DirectoryEntry>> {
        HostDirectoryEntryStream::read_directory_entry(&mut self.fs, stream).await
    }

    fn drop(&mut self, stream: Resource<types::DirectoryEntryStream>) -> wasmtime::Result<()> {
        HostDirectoryEntryStream::drop(&mut self.fs, stream)
    }
}

impl network::Host for GuardedSocketsView<'_> {
    fn convert_error_code(
        &mut self,
        error: wasmtime_wasi::p2::SocketError,
    ) -> wasmtime::Result<network::ErrorCode> {
        network::Host::convert_error_code(&mut self.sockets, error)
    }

    fn network_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<network::ErrorCode>> {
        network::Host::network_error_code(&mut self.sockets, err)
    }
}

impl network::HostNetwork for GuardedSocketsView<'_> {
    fn drop(&mut self, this: Resource<network::Network>) -> wasmtime::Result<()> {
        network::HostNetwork::drop(&mut self.sockets, this)
    }
}

impl tcp_create_socket::Host for GuardedSocketsView<'_> {
    fn create_tcp_socket(
        &mut self,
        address_family: network::IpAddressFamily,
    ) -> SocketResult<Resource<TcpSocket>> {
        let open = open_count(self.guard, self.sockets.table);
        if self.guard.fds.check(open, "tcp socket").is_err() {
            return Err(network::ErrorCode::NewSocketLimit.into());
        }
        let socket = tcp_create_socket::Host::create_tcp_socket(&mut self.sockets, address_family)?;
        self.guard.p2_sockets.push((socket.rep(), SocketKind::Tcp));
        self.guard.fds.note(open + 1);
        Ok(socket)
    }
}

impl udp_create_socket::Host for GuardedSocketsView<'_> {
    async fn create_udp_socket(
        &mut self,
        address_family: network::IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let open = open_count(self.guard, self.sockets.table);
        if self.guard.fds.check(open, "udp socket").is_err() {
            return Err(network::ErrorCode::NewSocketLimit.into());
        }
        let socket =
            udp_create_socket::Host::create_udp_socket(&mut self.sockets, address_family).await?;
        self.guard.p2_sockets.push((socket.rep(), SocketKind::Udp));
        self.guard.fds.note(open + 1);
        Ok(socket)
    }
}

/// A file output stream (from `write-via-stream` or `append-via-stream`) whose writes are
/// charged against the disk quota before they reach Wasmtime's stream.
///
/// Writes to a stream are accepted only once its previous write completed (`check-write`
/// returns 0 before that), so the file size read before each write is current, except for
/// writes still in flight on *other* streams of the same file, which can only make a charge
/// larger, never smaller.
struct QuotaStream {
    inner: DynOutputStream,
    file: Arc<std::fs::File>,
    /// Where the next write lands; `None` for an append stream (always at the end).
    position: Option<u64>,
    quota: DiskQuota,
    target: String,
}

impl QuotaStream {
    /// Charges a write of `n` bytes; returns the size before it and the charge.
    fn charge(&mut self, n: u64) -> StreamResult<(u64, u64)> {
        let size = size_of(&self.file);
        let growth = match self.position {
            None => n,
            Some(p) => p.saturating_add(n).saturating_sub(size),
        };
        self.quota
            .charge(growth, &self.target)
            .map_err(|e| StreamError::LastOperationFailed(wasmtime::Error::new(e)))?;
        Ok((size, growth))
    }

    fn advance(&mut self, n: u64) {
        if let Some(p) = &mut self.position {
            *p = p.saturating_add(n);
        }
    }

    /// After a failed blocking write: keep the charge for what did reach the file.
    fn settle_failed(&self, size_before: u64, charged: u64) {
        let grown = size_of(&self.file).saturating_sub(size_before).min(charged);
        self.quota.refund(charged - grown);
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for QuotaStream {
    async fn ready(&mut self) {
        self.inner.ready().await
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for QuotaStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        let n = bytes.len() as u64;
        let (_, charged) = self.charge(n)?;
        match self.inner.write(bytes) {
            Ok(()) => {
                self.advance(n);
                Ok(())
            }
            Err(e) => {
                // Refused before anything was started.
                self.quota.refund(charged);
                Err(e)
            }
        }
    }

    async fn blocking_write_and_flush(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        let n = bytes.len() as u64;
        let (size, charged) = self.charge(n)?;
        match self.inner.blocking_write_and_flush(bytes).await {
            Ok(()) => {
                self.advance(n);
                Ok(())
            }
            Err(e) => {
                self.settle_failed(size, charged);
                Err(e)
            }
        }
    }

    fn write_zeroes(&mut self, nelem: usize) -> StreamResult<()> {
        let n = nelem as u64;
        let (_, charged) = self.charge(n)?;
        match self.inner.write_zeroes(nelem) {
            Ok(()) => {
                self.advance(n);
                Ok(())
            }
            Err(e) => {
                self.quota.refund(charged);
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.inner.flush()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.inner.check_write()
    }

    async fn cancel(&mut self) {
        self.inner.cancel().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Audit;
    use crate::policy::Policy;
    use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

    async fn open_f(view: &mut GuardedFsView<'_>, root: u32) -> FsResult<Resource<Descriptor>> {
        HostDescriptor::open_at(
            view,
            Resource::new_borrow(root),
            types::PathFlags::empty(),
            "f".to_string(),
            types::OpenFlags::empty(),
            types::DescriptorFlags::READ,
        )
        .await
    }

    /// A stream outlives the descriptor it was made from and keeps the host file open, so
    /// dropping the descriptor must not free its slot while the stream lives. Runs Wasmtime's
    /// real filesystem implementation through the guarded view, as a component's calls do.
    #[test]
    fn a_stream_that_outlives_its_descriptor_keeps_the_slot() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("f"), "x").expect("write");
        let mut b = WasiCtxBuilder::new();
        b.preopened_dir(dir.path(), "/d", FsPerms::ReadOnly)
            .expect("preopen");
        let mut ctx = b.build();
        let mut table = ResourceTable::new();
        let mut policy = Policy::builder();
        policy.max_fds(1);
        let audit = Audit::new(vec![]);
        let mut guard = FsGuard::new(&policy.build().expect("policy"), &audit);
        let mut view = GuardedFsView {
            fs: WasiFilesystemCtxView {
                ctx: ctx.filesystem(),
                table: &mut table,
            },
            guard: &mut guard,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let dirs = preopens::Host::get_directories(&mut view).expect("preopens");
            let root = dirs[0].0.rep();
            let fd = open_f(&mut view, root).await.expect("first open");
            let stream =
                HostDescriptor::read_via_stream(&mut view, Resource::new_borrow(fd.rep()), 0)
                    .expect("stream");
            HostDescriptor::drop(&mut view, fd).expect("drop descriptor");
            let refused = open_f(&mut view, root)
                .await
                .expect_err("the stream still holds the file");
            assert!(matches!(
                refused.downcast_ref(),
                Some(ErrorCode::InsufficientMemory)
            ));
            view.fs.table.delete(stream).expect("drop stream");
            let fd = open_f(&mut view, root)
                .await
                .expect("the slot is free again");
            HostDescriptor::drop(&mut view, fd).expect("drop");
        });
        assert_eq!(
            audit
                .events()
                .iter()
                .filter(|e| e.what == "limit.fds" && e.target == "/d/f")
                .count(),
            1
        );
    }
}
