//! `tailor needs`'s arguments.

use clap::Args;
use tailor_core::commands::needs::{self, NeedsOptions};
use tailor_core::commands::Status;

use super::common::{FormatArg, InputArgs, ProviderArgs};

#[derive(Args)]
pub(crate) struct NeedsArgs {
    #[command(flatten)]
    inputs: InputArgs,
    #[command(flatten)]
    provider: ProviderArgs,
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Do not scan read-only data for exports looked up by name.
    #[arg(long)]
    no_by_name: bool,
}

impl From<NeedsArgs> for NeedsOptions {
    fn from(a: NeedsArgs) -> Self {
        NeedsOptions {
            inputs: a.inputs.into(),
            provider: a.provider.into(),
            format: a.format.into(),
            by_name: !a.no_by_name,
        }
    }
}

impl NeedsArgs {
    /// Runs `tailor needs`.
    pub(crate) fn run(self, out: &mut dyn std::io::Write) -> tailor_core::Result<Status> {
        needs::run(&self.into(), out)
    }
}
