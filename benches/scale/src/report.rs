//! Formatting of the printed tables, and the list of checked bounds each scenario ends with.

use std::time::Duration;

/// `12,345 KiB`.
pub fn kib(v: u64) -> String {
    format!("{} KiB", thousands(v))
}

/// `+12 KiB` / `−3 KiB`.
pub fn signed_kib(v: i64) -> String {
    let sign = if v < 0 { "−" } else { "+" };
    format!("{sign}{} KiB", thousands(v.unsigned_abs()))
}

/// `1,234,567`.
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration with a unit that fits it.
pub fn dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// KiB of growth from `base` to `now`, per one of `n` items.
pub fn per_item(now: u64, base: u64, n: usize) -> f64 {
    (now as f64 - base as f64) / n.max(1) as f64
}

/// The figures and checked bounds printed at the end of a scenario.
#[derive(Default)]
pub struct Checks {
    lines: Vec<(String, Option<bool>)>,
}

impl Checks {
    /// Adds a line: a plain figure (`None`) or a bound that held or not.
    pub fn line(&mut self, text: String, ok: Option<bool>) {
        self.lines.push((text, ok));
    }

    /// Prints the lines; `true` when every bound held.
    pub fn print(self) -> bool {
        let mut all = true;
        for (text, ok) in &self.lines {
            let mark = match ok {
                None => "-",
                Some(true) => "- **ok**:",
                Some(false) => "- **EXCEEDED**:",
            };
            all &= ok.unwrap_or(true);
            println!("{mark} {text}");
        }
        println!();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(signed_kib(-1500), "−1,500 KiB");
        assert_eq!(signed_kib(0), "+0 KiB");
        assert_eq!(dur(Duration::from_micros(1500)), "1.5 ms");
        assert_eq!(per_item(300, 100, 100), 2.0);
    }

    #[test]
    fn a_failed_bound_fails_the_list() {
        let mut c = Checks::default();
        c.line("figure".into(), None);
        c.line("held".into(), Some(true));
        assert!(c.print());
        let mut c = Checks::default();
        c.line("held".into(), Some(true));
        c.line("broken".into(), Some(false));
        assert!(!c.print());
    }
}
