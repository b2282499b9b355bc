//! `tailor exports`'s arguments.

use std::path::PathBuf;

use clap::Args;
use tailor_core::commands::{exports, Status};

use super::common::FormatArg;

#[derive(Args)]
pub(crate) struct ExportsArgs {
    #[arg(required = true)]
    elf: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

impl ExportsArgs {
    /// Runs `tailor exports`.
    pub(crate) fn run(self, out: &mut dyn std::io::Write) -> tailor_core::Result<Status> {
        exports::run(&self.elf, self.format.into(), out)
    }
}
