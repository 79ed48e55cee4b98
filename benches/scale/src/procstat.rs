//! What the process holds, read from `/proc/self`: resident memory, open file descriptors,
//! threads and memory mappings.

use anyhow::{Context, Result, anyhow};
use std::fmt;

/// One reading of the process's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// `VmRSS`: resident memory now, in KiB.
    pub rss_kib: u64,
    /// `VmHWM`: the most resident memory so far (since start or [`reset_peak`]), in KiB.
    pub hwm_kib: u64,
    /// Entries in `/proc/self/fd`.
    pub fds: u64,
    /// `Threads`.
    pub threads: u64,
    /// Lines of `/proc/self/maps` (the kernel's `vm.max_map_count` caps these).
    pub maps: u64,
}

impl Snapshot {
    /// Reads the process's resources now.
    pub fn take() -> Result<Snapshot> {
        let status = std::fs::read_to_string("/proc/self/status")
            .context("cannot read /proc/self/status (this program needs Linux)")?;
        let fds = std::fs::read_dir("/proc/self/fd")
            .context("cannot list /proc/self/fd")?
            .count() as u64;
        // One descriptor is read_dir's own.
        let fds = fds.saturating_sub(1);
        let maps = std::fs::read("/proc/self/maps")
            .context("cannot read /proc/self/maps")?
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        Ok(Snapshot {
            rss_kib: status_field(&status, "VmRSS")?,
            hwm_kib: status_field(&status, "VmHWM")?,
            fds,
            threads: status_field(&status, "Threads")?,
            maps,
        })
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RSS {} KiB, {} fds, {} threads, {} maps",
            self.rss_kib, self.fds, self.threads, self.maps
        )
    }
}

/// The number in a `Name:   123 kB` line of `/proc/self/status`.
fn status_field(status: &str, name: &str) -> Result<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .ok_or_else(|| anyhow!("/proc/self/status has no `{name}` line"))?
        .parse()
        .with_context(|| format!("/proc/self/status: `{name}` is not a number"))
}

/// The kernel's limit on memory mappings per process (`vm.max_map_count`), if readable.
pub fn max_map_count() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Resets `VmHWM` to the current RSS (`echo 5 > /proc/self/clear_refs`, Linux 4.0+). Returns
/// whether the kernel accepted it.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_fields() {
        let s = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n";
        assert_eq!(status_field(s, "VmRSS").ok(), Some(1024));
        assert_eq!(status_field(s, "VmHWM").ok(), Some(2048));
        assert_eq!(status_field(s, "Threads").ok(), Some(3));
        assert!(status_field(s, "VmSwap").is_err());
        assert!(status_field("VmRSS:\tlots kB\n", "VmRSS").is_err());
    }

    #[test]
    fn reads_this_process() -> Result<()> {
        let s = Snapshot::take()?;
        assert!(s.rss_kib > 0 && s.hwm_kib >= s.rss_kib / 2);
        assert!(s.threads >= 1 && s.fds >= 1 && s.maps > 10);
        // A file held open shows up as one more descriptor.
        let f = std::fs::File::open("/proc/self/status")?;
        assert_eq!(Snapshot::take()?.fds, s.fds + 1);
        drop(f);
        Ok(())
    }
}
