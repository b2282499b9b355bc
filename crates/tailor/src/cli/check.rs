//! `tailor check`'s arguments.

use std::path::PathBuf;

use clap::Args;
use tailor_core::commands::check::{self, CheckOptions};
use tailor_core::commands::Status;

use super::common::FormatArg;

/// `tailor check`'s text after its help: the finding codes and its exit codes.
pub(crate) const CHECK_HELP: &str = "\
Codes: no-function-sections, no-data-sections, orphan, special-name, order, unkept-init, \
unkept-table, start-stop, retain-ignored, split-group, link-order.

Exit codes: 0 clean; 1 findings (not --allow'ed); 2 usage, I/O, malformed input or \
toolchain error.";

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Objects and archives to check (or give the link command after `--`).
    objects: Vec<PathBuf>,
    /// The linker script (default: the link command's -T, else GNU ld's built-in script).
    #[arg(long)]
    script: Option<PathBuf>,
    /// Accept findings with this code.
    #[arg(long, value_name = "CODE")]
    allow: Vec<String>,
    /// Print the parsed script back (a script GNU ld reads the same way) and stop.
    #[arg(long)]
    dump_script: bool,
    /// Also report on objects the command does not name (crt files, `-l` libraries).
    #[arg(long)]
    system: bool,
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// A link command whose inputs and script are checked.
    #[arg(last = true)]
    command: Vec<String>,
}

impl From<CheckArgs> for CheckOptions {
    fn from(a: CheckArgs) -> Self {
        CheckOptions {
            script: a.script,
            objects: a.objects,
            command: a.command,
            allow: a.allow,
            format: a.format.into(),
            dump_script: a.dump_script,
            system: a.system,
        }
    }
}

impl CheckArgs {
    /// Runs `tailor check`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        check::run(&self.into(), out, log)
    }
}
