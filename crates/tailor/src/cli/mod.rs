//! The subcommands' arguments: each subcommand's clap struct in its own file, with its one
//! conversion to tailor-core's options and its `run`; shared groups in [`common`]; the
//! checks clap's attributes cannot express in [`checks`].

pub(crate) mod check;
pub(crate) mod checks;
pub(crate) mod common;
pub(crate) mod diff;
pub(crate) mod docs;
pub(crate) mod embed;
pub(crate) mod exports;
pub(crate) mod gc;
pub(crate) mod link;
pub(crate) mod needs;
pub(crate) mod profile;
pub(crate) mod syscalls;
pub(crate) mod verify;
pub(crate) mod version_script;

pub(crate) use check::CHECK_HELP;
pub(crate) use common::EXIT_CODES;
pub(crate) use syscalls::SYSCALLS_HELP;
