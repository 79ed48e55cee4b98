//! How the CLI reports nanoproc's own outcomes: one line `nanoproc: <kind>: <detail>`.

use nanoproc::Error;

/// Exit code for invalid input (bad flag, policy or module).
pub const INVALID_INPUT: i32 = 125;

/// Prints the one-line error and returns its exit code.
pub fn error(e: &Error) -> i32 {
    eprintln!("nanoproc: {}: {}", e.kind_name(), e.detail());
    e.exit_code()
}

/// Prints a usage-level error (a bad flag value) and returns 125.
pub fn invalid(detail: &str) -> i32 {
    eprintln!(
        "nanoproc: invalid input: {}",
        nanoproc::error::escape_controls(detail)
    );
    INVALID_INPUT
}
