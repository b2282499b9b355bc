//! `tailor syscalls`'s command line: which programs, how to spell the list, where it goes.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tailor_core::commands::syscalls::{self, Names, SyscallsOptions};
use tailor_core::commands::Status;

use super::common::{FormatArg, InputArgs};

/// The system calls static programs (and a dynamic program's own `syscall` instructions) can
/// make, found by disassembly: OSv's `conf_syscalls_list_file=` list by default.
#[derive(Args)]
pub(crate) struct SyscallsArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Spell the calls as OSv's syscall table does (what `conf_syscalls_list_file=` takes;
    /// calls OSv does not implement are named on stderr) or as Linux does.
    #[arg(long, value_enum, default_value_t = NamesArg::Osv)]
    names: NamesArg,
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Write the list here (atomically; untouched when unchanged) instead of stdout.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Exit 0 (and write -o) even when some system call's number cannot be recovered.
    #[arg(long)]
    allow_unknown: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum NamesArg {
    Osv,
    Linux,
}

pub(crate) const SYSCALLS_HELP: &str = "\
Exit codes: 0 success; 1 a system call whose number the analysis cannot recover (each \
named on stderr with its function and offset; --allow-unknown accepts them); 2 usage, I/O \
or malformed input.";

impl SyscallsArgs {
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        syscalls::run(
            &SyscallsOptions {
                inputs: self.inputs.into(),
                names: match self.names {
                    NamesArg::Osv => Names::Osv,
                    NamesArg::Linux => Names::Linux,
                },
                format: self.format.into(),
                output: self.output,
                allow_unknown: self.allow_unknown,
            },
            out,
            log,
        )
    }
}
