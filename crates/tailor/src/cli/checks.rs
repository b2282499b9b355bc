//! The argument checks clap's attributes cannot express, in one place.
//!
//! Most combinations are declared on the fields themselves (`requires`, `conflicts_with`,
//! `required`, the `inputs` group) and reported by clap. What is left is here: the hint for a
//! link command given without `--`, and the profile source of `tailor profile`.

use std::ffi::OsString;

use clap::error::ErrorKind;
use tailor_core::commands::profile::ProfileSource;
use tailor_core::Error;

use super::profile::ProfileSourceArgs;

/// The usage of the commands that take a link command after `--`, for the hint given when
/// the `--` is missing (clap would suggest `-- -s` for the first option of the command).
fn link_command_usage(subcommand: &str) -> Option<&'static str> {
    Some(match subcommand {
        "link" => "tailor link CONSUMERS... -- gcc -shared ...",
        "gc" => "tailor gc [CONSUMERS... --provider ELF] -- gcc -shared ...",
        "why" => "tailor why ITEM [CONSUMERS... --provider ELF] -- gcc -shared ...",
        "top" => "tailor top [CONSUMERS... --provider ELF] -- gcc -shared ...",
        "check" => "tailor check [OBJECTS...] -- gcc -shared ...",
        _ => return None,
    })
}

/// One line for a command-line error that comes from a link command given without `--`.
pub(crate) fn missing_separator(args: &[OsString], e: &clap::Error) -> Option<String> {
    if args.iter().skip(1).any(|a| a == "--") {
        return None;
    }
    let subcommand = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| !a.starts_with('-'))?;
    let usage = link_command_usage(subcommand)?;
    let without_command =
        e.kind() == ErrorKind::MissingRequiredArgument && e.to_string().contains("<COMMAND>");
    if e.kind() != ErrorKind::UnknownArgument && !without_command {
        return None;
    }
    Some(format!(
        "tailor {subcommand}: the link command goes after '--' ({usage})"
    ))
}

/// `tailor profile`'s source: --config or --from-make (clap rejects both).
pub(crate) fn profile_source(a: &ProfileSourceArgs) -> tailor_core::Result<ProfileSource> {
    match (&a.config, &a.from_make) {
        (Some(c), _) => Ok(ProfileSource::Config(c.clone())),
        (None, Some(r)) => Ok(ProfileSource::Make(r.clone())),
        _ => Err(Error::Usage(
            "give --config FILE or --from-make ROOT".into(),
        )),
    }
}
