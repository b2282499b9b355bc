//! `tailor completions SHELL` and `tailor man [SUBCOMMAND]`: shell completion scripts and roff
//! man pages generated from the clap definitions.

use clap::{Args, ValueEnum};
use tailor_core::commands::Status;
use tailor_core::Error;

/// The shells `tailor completions` writes for.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Print a shell completion script.
#[derive(Args)]
pub(crate) struct CompletionsArgs {
    shell: Shell,
}

/// Print the man page (roff), or a subcommand's.
#[derive(Args)]
pub(crate) struct ManArgs {
    /// The subcommand (`link`, `diff`, `profile show`, ...); none: tailor(1).
    subcommand: Vec<String>,
}

impl CompletionsArgs {
    pub(crate) fn run(
        self,
        mut cmd: clap::Command,
        out: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        let shell = match self.shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        };
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "tailor", &mut buf);
        tailor_core::commands::emit(out, &buf)?;
        Ok(Status::Ok)
    }
}

impl ManArgs {
    pub(crate) fn run(
        self,
        cmd: clap::Command,
        out: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        // Built, so that the global options (-v, -C) are on every subcommand's page too.
        let mut page = cmd;
        page.build();
        let mut name = String::from("tailor");
        for word in &self.subcommand {
            let Some(sub) = page.find_subcommand(word).cloned() else {
                return Err(Error::Usage(format!(
                    "tailor man: no subcommand `{}` (try `tailor help`)",
                    self.subcommand.join(" ")
                )));
            };
            name = format!("{name}-{}", sub.get_name());
            page = sub;
        }
        // The page's name (tailor-link(1)) and its usage line as typed (tailor link ...).
        let bin = name.replace('-', " ");
        let page = page.name(name).bin_name(bin);
        let mut buf = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut buf)
            .map_err(|e| Error::io("writing", std::path::Path::new("<stdout>"), e))?;
        tailor_core::commands::emit(out, &buf)?;
        Ok(Status::Ok)
    }
}
