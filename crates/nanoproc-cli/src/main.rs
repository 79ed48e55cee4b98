//! `nanoproc`: run untrusted WebAssembly as deny-by-default nano-processes.
//!
//! This binary only parses and dispatches; the sandbox lives in the `nanoproc` library.

mod commands;
mod flags;
mod integrity;
mod report;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Run untrusted WebAssembly as deny-by-default nano-processes.
#[derive(Parser)]
#[command(name = "nanoproc", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WASI program (preview 1 module or preview 2 component) in a sandbox.
    Run(Box<commands::run::RunCommand>),
    /// Call a plugin function (bytes in, bytes out) in a fresh sandbox.
    Call(Box<commands::call::CallCommand>),
    /// Show what a module is, imports, exports, signatures, and the grants it would need.
    Inspect(commands::inspect::InspectCommand),
    /// Make an Ed25519 key pair for signing modules or run receipts (KEY.key, KEY.pub).
    Keygen(commands::keygen::KeygenCommand),
    /// Add a signature to a module or component (embedded in a custom section).
    Sign(commands::sign::SignCommand),
    /// Check a module's signatures against public keys.
    Verify(commands::verify::VerifyCommand),
    /// Check a run receipt's signature against a host public key.
    VerifyReceipt(commands::verify_receipt::VerifyReceiptCommand),
}

fn main() -> ExitCode {
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(
                        if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                            report::INVALID_INPUT as u8
                        } else {
                            0
                        },
                    )
                }
                _ => {
                    // One line, like every other nanoproc outcome.
                    let text = e.render().to_string();
                    let first: Vec<&str> = text
                        .lines()
                        .take_while(|l| !l.trim().is_empty())
                        .map(str::trim)
                        .collect();
                    let first = first.join(" ");
                    let first = first.trim_start_matches("error: ");
                    report::invalid(&format!("{first} (see `nanoproc --help`)"));
                    ExitCode::from(report::INVALID_INPUT as u8)
                }
            };
        }
    };
    let code = match cli.command {
        Command::Run(cmd) => cmd.execute(),
        Command::Inspect(cmd) => cmd.execute(),
        Command::Call(cmd) => cmd.execute(),
        Command::Keygen(cmd) => cmd.execute(),
        Command::Sign(cmd) => cmd.execute(),
        Command::Verify(cmd) => cmd.execute(),
        Command::VerifyReceipt(cmd) => cmd.execute(),
    };
    ExitCode::from((code & 0xff) as u8)
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::LevelFilter;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time();
    // Parsing a filter costs start-up time: only do it when NANOPROC_LOG asks for one.
    let _ = match std::env::var("NANOPROC_LOG") {
        Ok(spec) => builder.with_env_filter(EnvFilter::new(spec)).try_init(),
        Err(_) => builder.with_max_level(LevelFilter::WARN).try_init(),
    };
}
