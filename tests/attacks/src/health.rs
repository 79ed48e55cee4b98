//! Is the host process still healthy? Its threads, open file descriptors and resident
//! memory, read from `/proc/self`.

use std::time::{Duration, Instant};

/// Process-wide resource counts at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Threads of this process.
    pub threads: usize,
    /// Open file descriptors.
    pub fds: usize,
    /// Resident set size in KiB.
    pub rss_kib: u64,
}

/// Reads the counts now.
pub fn snapshot() -> Snapshot {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0);
    Snapshot {
        threads: field("Threads:") as usize,
        fds,
        rss_kib: field("VmRSS:"),
    }
}

/// Waits (up to `patience`) until the thread and fd counts are back to `baseline` or
/// below: threads that are finishing and descriptors being closed get a moment.
/// `Err` names what is still above the baseline.
pub fn settle(baseline: &Snapshot, patience: Duration) -> Result<Snapshot, String> {
    let started = Instant::now();
    loop {
        let now = snapshot();
        if now.threads <= baseline.threads && now.fds <= baseline.fds {
            return Ok(now);
        }
        if started.elapsed() >= patience {
            let mut what = Vec::new();
            if now.threads > baseline.threads {
                what.push(format!(
                    "{} threads (baseline {})",
                    now.threads, baseline.threads
                ));
            }
            if now.fds > baseline.fds {
                what.push(format!(
                    "{} open fds (baseline {}): {}",
                    now.fds,
                    baseline.fds,
                    fd_targets()
                ));
            }
            return Err(format!("leaked {}", what.join(" and ")));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What the open descriptors point at, for a failure message.
fn fd_targets() -> String {
    let mut v: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.join(", ")
}
