//! `tailor verify`'s arguments.

use std::path::PathBuf;

use clap::Args;
use tailor_core::commands::verify::{self, VerifyOptions};
use tailor_core::commands::Status;

use super::common::{FormatArg, InputArgs};

#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// The provider to check.
    #[arg(long, required = true)]
    provider: PathBuf,
    /// The generic provider it was tailored from.
    #[arg(long)]
    generic: Option<PathBuf>,
    /// Keep lists the tailored provider was built with (repeat for more).
    #[arg(long, value_name = "FILE|DIR")]
    keep: Vec<PathBuf>,
    #[arg(long)]
    no_by_name: bool,
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

impl From<VerifyArgs> for VerifyOptions {
    fn from(a: VerifyArgs) -> Self {
        VerifyOptions {
            inputs: a.inputs.into(),
            provider: a.provider,
            generic: a.generic,
            keep: a.keep,
            by_name: !a.no_by_name,
            format: a.format.into(),
        }
    }
}

impl VerifyArgs {
    /// Runs `tailor verify`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        verify::run(&self.into(), out, log)
    }
}
