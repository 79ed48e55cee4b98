//! Timing: interleaved samples, medians and p99s, multi-thread throughput, RSS.

use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Runs `n` calls of one contender.
pub type Runner<'a> = Box<dyn FnMut(u64) -> Result<()> + 'a>;

/// Median and p99 of the per-call times of one contender, in nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub p99: f64,
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(|a, b| a.total_cmp(b));
    Stats {
        median: percentile(&v, 0.5),
        p99: percentile(&v, 0.99),
    }
}

/// How many calls one sample needs to last at least `min_sample` (so the clock's own cost,
/// ~20-30 ns here, stays below 1 % of a sample). Also warms the contender up.
fn calibrate(run: &mut Runner<'_>, min_sample: Duration) -> Result<u64> {
    run(3)?; // warm-up: first calls fault pages in, fill caches
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        run(n)?;
        let dt = t.elapsed();
        if dt >= min_sample || n >= 1 << 24 {
            return Ok(n);
        }
        // Aim a bit past the minimum so one noisy fast sample does not fix a tiny batch.
        let want = (min_sample.as_nanos() as f64 * 1.5 / dt.as_nanos().max(1) as f64).ceil() as u64;
        n = (n * want.clamp(2, 64)).min(1 << 24);
    }
}

/// Times several contenders doing the same work, interleaved: every round takes one sample of
/// each contender, in an order that rotates every round, so drifts in machine state (another
/// tenant, frequency, the page cache) hit all of them alike. Returns one [`Stats`] per contender.
pub fn interleaved(
    rounds: usize,
    min_sample: Duration,
    contenders: &mut [Runner<'_>],
) -> Result<Vec<Stats>> {
    let k = contenders.len();
    let mut batch = Vec::with_capacity(k);
    for c in contenders.iter_mut() {
        batch.push(calibrate(c, min_sample)?);
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); k];
    // A few unrecorded rounds first: everyone warm, allocator pools primed.
    for round in 0..rounds + rounds.div_ceil(20) {
        for i in 0..k {
            let idx = (i + round) % k;
            let t = Instant::now();
            contenders[idx](batch[idx])?;
            let ns = t.elapsed().as_nanos() as f64 / batch[idx] as f64;
            if round >= rounds.div_ceil(20) {
                samples[idx].push(ns);
            }
        }
    }
    Ok(samples.into_iter().map(stats).collect())
}

/// The machine's TLB-shootdown interrupts so far (all CPUs), from /proc/interrupts.
pub fn tlb_shootdowns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/interrupts").ok()?;
    let line = text.lines().find(|l| l.trim_start().starts_with("TLB:"))?;
    Some(
        line.split_whitespace()
            .skip(1)
            .map_while(|f| f.parse::<u64>().ok())
            .sum(),
    )
}

/// What one throughput run measured.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    pub calls_per_sec: f64,
    pub calls: u64,
    /// TLB-shootdown interrupts machine-wide during the run, if readable.
    pub tlb_shootdowns: Option<u64>,
    /// Share of the machine's CPU that other processes used during the run.
    pub other_cpu: Option<f64>,
}

/// Calls per second of `threads` threads each running `make()`'s closure in a loop for
/// `duration`. `make` runs on the worker thread (so per-thread state stays there).
pub fn throughput<F, W>(threads: usize, duration: Duration, make: F) -> Result<Throughput>
where
    F: Fn() -> Result<W> + Sync,
    W: FnMut() -> Result<()>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let tlb_before = tlb_shootdowns();
    let cpu_before = cpu_ticks();
    let started = Instant::now();
    let barrier = Barrier::new(threads + 1);
    let results: Vec<Result<(u64, Duration)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (stop, barrier, make) = (&stop, &barrier, &make);
                s.spawn(move || -> Result<(u64, Duration)> {
                    let made = make();
                    barrier.wait();
                    let mut work = made?;
                    for _ in 0..3 {
                        work()?;
                    }
                    let t = Instant::now();
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        work()?;
                        n += 1;
                    }
                    Ok((n, t.elapsed()))
                })
            })
            .collect();
        barrier.wait();
        std::thread::sleep(duration);
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .collect()
    });
    let tlb_after = tlb_shootdowns();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let other_cpu = cpu_before
        .zip(cpu_ticks())
        .map(|(a, b)| other_cpu_share(a, b, started.elapsed(), cpus));
    let (mut total, mut calls) = (0.0, 0);
    for r in results {
        let (n, dt) = r?;
        total += n as f64 / dt.as_secs_f64();
        calls += n;
    }
    Ok(Throughput {
        calls_per_sec: total,
        calls,
        tlb_shootdowns: tlb_before.zip(tlb_after).map(|(a, b)| b.saturating_sub(a)),
        other_cpu,
    })
}

/// CPU time (in clock ticks) used by the whole machine and by this process (with its
/// reaped children) so far: the difference over an interval is what *other* processes used.
pub fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.split_whitespace().skip(1);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    let v: Vec<u64> = cpu.take(8).filter_map(|f| f.parse().ok()).collect();
    let busy =
        v.iter().sum::<u64>() - v.get(3).copied().unwrap_or(0) - v.get(4).copied().unwrap_or(0);
    let me = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_comm = &me[me.rfind(')')? + 2..];
    let f: Vec<u64> = after_comm
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // Fields 14-17 (utime stime cutime cstime) are at 11..15 after the state field.
    let mine = f.get(11..15)?.iter().sum();
    Some((busy, mine))
}

/// The share of the machine (0..1, all CPUs) that other processes used between two readings.
pub fn other_cpu_share(a: (u64, u64), b: (u64, u64), wall: Duration, cpus: usize) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let other = (b.0.saturating_sub(a.0)).saturating_sub(b.1.saturating_sub(a.1)) as f64 / ticks;
    (other / (wall.as_secs_f64() * cpus as f64)).max(0.0)
}

/// This process's resident set size (VmRSS), in KiB.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// How many of the 4 KiB pages in `ptr .. ptr + len` are present in this process's page
/// tables (i.e. count in its RSS), from /proc/self/pagemap (bit 63 = present).
pub fn resident_pages(ptr: *const u8, len: usize) -> Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    const PAGE: usize = 4096;
    let first = ptr as usize / PAGE;
    let last = (ptr as usize + len).div_ceil(PAGE);
    let mut f = std::fs::File::open("/proc/self/pagemap")?;
    f.seek(SeekFrom::Start(first as u64 * 8))?;
    let mut buf = vec![0u8; (last - first) * 8];
    f.read_exact(&mut buf)?;
    Ok(buf
        .chunks_exact(8)
        .filter(|c| u64::from_le_bytes((*c).try_into().expect("8 bytes")) >> 63 == 1)
        .count() as u64)
}
