//! `nanoproc inspect FILE.wasm [--json]`.

use crate::report;
use clap::Args;
use std::path::PathBuf;

/// Show a module's kind, size, hash, imports by capability, exports, memories and tables.
#[derive(Args)]
pub struct InspectCommand {
    /// The module or component (.wasm or .wat).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl InspectCommand {
    /// Runs the subcommand; returns the exit code.
    pub fn execute(self) -> i32 {
        let bytes = match std::fs::read(&self.file) {
            Ok(b) => b,
            Err(e) => {
                return report::error(&nanoproc::Error::Io {
                    context: format!("cannot read `{}`", self.file.display()),
                    source: e,
                });
            }
        };
        let name = self.file.display().to_string();
        match nanoproc::inspect::inspect(&bytes, &name) {
            Ok(r) if self.json => match serde_json::to_string_pretty(&r) {
                Ok(s) => {
                    println!("{s}");
                    0
                }
                Err(e) => report::invalid(&e.to_string()),
            },
            Ok(r) => {
                print!("{}", r.render(&name));
                0
            }
            Err(e) => report::error(&e),
        }
    }
}
