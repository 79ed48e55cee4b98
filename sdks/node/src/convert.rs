//! Conversions of the canonical values index.js passes down: sizes and counts as decimal
//! strings or with units (`"64MiB"`), durations in milliseconds.

use crate::errors;
use nanoproc::policy::units::parse_size;
use napi::sys;
use std::time::Duration;

/// A size in bytes: digits, or a number with a unit (`"64MiB"`, `"1.5GB"`).
pub(crate) fn size(env: sys::napi_env, key: &str, text: &str) -> napi::Result<u64> {
    parse_size(text).map_err(|e| errors::policy(env, format!("{key}: {e}")))
}

/// An optional size.
pub(crate) fn opt_size(
    env: sys::napi_env,
    key: &str,
    text: Option<&str>,
) -> napi::Result<Option<u64>> {
    text.map(|t| size(env, key, t)).transpose()
}

/// A whole number from 0 to 2^64-1, as decimal digits.
pub(crate) fn count(env: sys::napi_env, key: &str, text: &str) -> napi::Result<u64> {
    text.parse::<u64>().map_err(|_| {
        errors::policy(
            env,
            format!("{key}: `{text}` is not a whole number from 0 to 2^64-1"),
        )
    })
}

/// An optional count.
pub(crate) fn opt_count(
    env: sys::napi_env,
    key: &str,
    text: Option<&str>,
) -> napi::Result<Option<u64>> {
    text.map(|t| count(env, key, t)).transpose()
}

/// A duration given in milliseconds; must be finite and greater than zero.
pub(crate) fn millis(env: sys::napi_env, key: &str, ms: f64) -> napi::Result<Duration> {
    if !ms.is_finite() || ms <= 0.0 {
        return Err(errors::policy(
            env,
            format!("{key} must be a number of milliseconds greater than zero, not {ms}"),
        ));
    }
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        errors::policy(
            env,
            format!("{key}: {ms} is not a valid number of milliseconds"),
        )
    })
}

/// An optional duration in milliseconds.
pub(crate) fn opt_millis(
    env: sys::napi_env,
    key: &str,
    ms: Option<f64>,
) -> napi::Result<Option<Duration>> {
    ms.map(|m| millis(env, key, m)).transpose()
}
