//! `tailor diff`'s arguments.

use std::path::PathBuf;

use clap::Args;
use tailor_core::commands::{self, Status};

use super::common::{LinkerArg, ReportFormatArg};

/// Compare two ELF images: sections, objects, symbols (bloat-o-meter's rule) and exports.
#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The old image (the generic one).
    old: PathBuf,
    /// The new image (the tailored one).
    new: PathBuf,
    #[arg(long, value_enum, default_value_t = ReportFormatArg::Text)]
    format: ReportFormatArg,
    /// The linker whose rules the optional link command follows.
    #[arg(long, value_enum)]
    linker: Option<LinkerArg>,
    /// Optional: the images' link command (after `--`): symbols are then attributed to the
    /// objects and archive members that define them, as the linker resolves them.
    #[arg(last = true)]
    command: Vec<String>,
}

impl DiffArgs {
    /// Runs `tailor diff`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        commands::diff::run(
            &commands::diff::DiffOptions {
                old: self.old,
                new: self.new,
                format: self.format.into(),
                // The global -C/--demangle.
                demangle: tailor_core::demangle::in_reports(),
                command: self.command,
                linker: self.linker.map(Into::into),
            },
            out,
            log,
        )
    }
}
