//! `nanoproc inspect FILE.wasm [--json | --wit]`.

use crate::report;
use clap::Args;
use nanoproc::inspect::Report;
use std::path::PathBuf;

/// Show a module's kind, size, hash, imports by capability, exports, memories and tables; for
/// a component also the functions `nanoproc call` can run and its WIT world.
#[derive(Args)]
pub struct InspectCommand {
    /// The module or component (.wasm or .wat).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Print the report as JSON.
    #[arg(long, conflicts_with = "wit")]
    json: bool,
    /// Print only the component's WIT world, as WIT text (save it as a .wit file).
    #[arg(long)]
    wit: bool,
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
            Ok(r) if self.wit => print_wit(&r, &name),
            Ok(r) if self.json => match serde_json::to_string_pretty(&r) {
                Ok(s) => {
                    out(&format!("{s}\n"));
                    0
                }
                Err(e) => report::invalid(&e.to_string()),
            },
            Ok(r) => {
                out(&r.render(&name));
                0
            }
            Err(e) => report::error(&e),
        }
    }
}

/// `--wit`: the WIT text alone, or one line saying why there is none.
fn print_wit(r: &Report, name: &str) -> i32 {
    let why = match (&r.wit, &r.wit_error) {
        (Some(w), _) => {
            out(&w.text);
            return 0;
        }
        (None, Some(e)) => format!("`{name}`: {e}"),
        (None, None) => format!(
            "`{name}` is a core module: only components have a WIT world (drop --wit to see its imports and exports)"
        ),
    };
    report::error(&nanoproc::Error::InvalidModule(why))
}

/// Writes to stdout, ignoring a closed pipe (`nanoproc inspect … | head`).
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
