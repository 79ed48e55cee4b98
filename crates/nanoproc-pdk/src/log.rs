//! Logging through the host: messages go to the host's `tracing` output, tagged with the
//! plugin's name (the `nanoproc::log` import; at most 64 KiB per message is kept).
//!
//! ```
//! use nanoproc_pdk::log;
//!
//! log::info("starting");
//! log::debug(format!("{} bytes of input", 42));
//! ```
//!
//! On targets other than `wasm32` there is no host, and these functions do nothing: that keeps
//! plugin code that logs usable in native unit tests.

/// How important a message is; the host maps it to the `tracing` level of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Level 0.
    Error = 0,
    /// Level 1.
    Warn = 1,
    /// Level 2.
    Info = 2,
    /// Level 3.
    Debug = 3,
    /// Level 4.
    Trace = 4,
}

/// Logs `message` at `level`.
pub fn log(level: Level, message: impl AsRef<str>) {
    let message = message.as_ref();
    #[cfg(target_arch = "wasm32")]
    {
        let (ptr, len) = crate::abi::ptr_len(message.as_bytes());
        // SAFETY: (ptr, len) describe a live UTF-8 slice; the host only reads it.
        unsafe { crate::sys::log(level as i32, ptr, len) };
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (level, message);
    }
}

/// Logs `message` at [`Level::Error`].
pub fn error(message: impl AsRef<str>) {
    log(Level::Error, message);
}

/// Logs `message` at [`Level::Warn`].
pub fn warn(message: impl AsRef<str>) {
    log(Level::Warn, message);
}

/// Logs `message` at [`Level::Info`].
pub fn info(message: impl AsRef<str>) {
    log(Level::Info, message);
}

/// Logs `message` at [`Level::Debug`].
pub fn debug(message: impl AsRef<str>) {
    log(Level::Debug, message);
}

/// Logs `message` at [`Level::Trace`].
pub fn trace(message: impl AsRef<str>) {
    log(Level::Trace, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_match_the_abi() {
        let levels = [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ];
        for (n, level) in levels.into_iter().enumerate() {
            assert_eq!(level as usize, n);
        }
    }
}
