//! `tailor profile`'s subcommands and their arguments.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tailor_core::commands::{self, profile, Status};

use super::common::FormatArg;

/// Where profiles come from.
#[derive(Args, Clone)]
pub(crate) struct ProfileSourceArgs {
    /// A TOML profile file.
    #[arg(long, conflicts_with = "from_make")]
    pub(crate) config: Option<PathBuf>,
    /// The root of an OSv-style tree (conf/profiles/<arch>/*.mk), read with make's semantics.
    #[arg(long, value_name = "ROOT")]
    pub(crate) from_make: Option<PathBuf>,
    /// The architecture (x64, aarch64, ...).
    #[arg(long)]
    arch: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum ProfileCommand {
    /// List the profiles.
    List {
        #[command(flatten)]
        source: ProfileSourceArgs,
    },
    /// Show a profile's effective features and why each is on.
    Show {
        profile: String,
        #[command(flatten)]
        source: ProfileSourceArgs,
        /// Override a feature: NAME=1 or NAME=0.
        #[arg(long = "set", value_parser = profile::parse_override)]
        set: Vec<(String, bool)>,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Write the generated C header, make fragment, JSON and object list (each only when it
    /// changes).
    Write {
        profile: String,
        #[command(flatten)]
        source: ProfileSourceArgs,
        #[arg(long = "set", value_parser = profile::parse_override)]
        set: Vec<(String, bool)>,
        /// C header of `#define <MACRO> 0|1`.
        #[arg(long)]
        header: Option<PathBuf>,
        /// Make fragment of `var=0|1`.
        #[arg(long = "make")]
        make_fragment: Option<PathBuf>,
        #[arg(long)]
        json: Option<PathBuf>,
        /// The objects of the enabled features (TOML profiles), one a line.
        #[arg(long)]
        objects: Option<PathBuf>,
    },
    /// Convert OSv's make profiles to the TOML format.
    Convert {
        /// The root of the OSv-style tree.
        #[arg(long, value_name = "ROOT", required = true)]
        from_make: PathBuf,
        /// Architectures to convert.
        #[arg(long, required = true)]
        arch: Vec<String>,
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
}

impl ProfileCommand {
    /// Runs `tailor profile SUBCOMMAND`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        match self {
            ProfileCommand::List { source } => profile::list(
                &super::checks::profile_source(&source)?,
                source.arch.as_deref(),
                out,
            ),
            ProfileCommand::Show {
                profile: name,
                source,
                set,
                format,
            } => {
                let (r, _) = profile::resolve(
                    &super::checks::profile_source(&source)?,
                    source.arch.as_deref(),
                    &name,
                    &set,
                )?;
                profile::show(&r, format.into(), out, log)
            }
            ProfileCommand::Write {
                profile: name,
                source,
                set,
                header,
                make_fragment,
                json,
                objects,
            } => {
                let (r, cfg) = profile::resolve(
                    &super::checks::profile_source(&source)?,
                    source.arch.as_deref(),
                    &name,
                    &set,
                )?;
                let outputs = profile::Outputs {
                    header,
                    make: make_fragment,
                    json,
                    objects,
                };
                profile::write(&r, cfg.as_ref(), &outputs, log)
            }
            ProfileCommand::Convert {
                from_make,
                arch,
                output,
            } => {
                let text = tailor_core::decide::profile::convert_make(&from_make, &arch)?;
                match output {
                    Some(p) => {
                        tailor_core::output::write_if_changed(&p, text.as_bytes())?;
                    }
                    None => commands::emit(out, text.as_bytes())?,
                }
                Ok(Status::Ok)
            }
        }
    }
}
