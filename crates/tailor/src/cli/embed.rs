//! The arguments of `tailor embed` and `tailor extract`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tailor_core::build::embed::Compression;
use tailor_core::commands::embed::{self, EmbedOptions, ExtractOptions};
use tailor_core::commands::Status;

#[derive(Args)]
pub(crate) struct EmbedArgs {
    /// The archive's name (symbols NAME_data, NAME_data_end, NAME_size).
    #[arg(long, required = true)]
    name: String,
    /// Strip the comments of C and C++ headers (SPDX lines kept).
    #[arg(long)]
    strip_comments: bool,
    #[arg(long, value_enum, default_value_t = CompressArg::Xz)]
    compress: CompressArg,
    /// Directories (their contents) and files to pack.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[arg(short = 'o', long = "output", required = true)]
    output: PathBuf,
    /// Take architecture and ELF flags from this object of the build.
    #[arg(long, conflicts_with = "target")]
    like: Option<PathBuf>,
    /// x86_64, i386, aarch64, arm, riscv64, ppc, ppc64, ppc64le, s390x (default: this machine).
    #[arg(long)]
    target: Option<String>,
    /// The section (default .rodata).
    #[arg(long)]
    section: Option<String>,
    #[arg(long)]
    depfile: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum CompressArg {
    Xz,
    Zstd,
    None,
}

impl From<CompressArg> for Compression {
    fn from(c: CompressArg) -> Self {
        match c {
            CompressArg::Xz => Compression::Xz,
            CompressArg::Zstd => Compression::Zstd,
            CompressArg::None => Compression::None,
        }
    }
}

impl From<EmbedArgs> for EmbedOptions {
    fn from(a: EmbedArgs) -> Self {
        EmbedOptions {
            name: a.name,
            strip_comments: a.strip_comments,
            compression: a.compress.into(),
            inputs: a.inputs,
            output: a.output,
            like: a.like,
            target: a.target,
            section: a.section,
            depfile: a.depfile,
            file_only: false,
        }
    }
}

impl EmbedArgs {
    /// Runs `tailor embed`.
    pub(crate) fn run(self, log: &mut dyn std::io::Write) -> tailor_core::Result<Status> {
        embed::run(&self.into(), log)
    }
}

#[derive(Args)]
pub(crate) struct ExtractArgs {
    image: PathBuf,
    #[arg(long)]
    name: Option<String>,
    /// Write the (decompressed) tar here.
    #[arg(short = 'o', long = "output", conflicts_with = "to")]
    output: Option<PathBuf>,
    /// Unpack into this (new or empty) directory.
    #[arg(long)]
    to: Option<PathBuf>,
    /// List the archives, or with --name the files of one.
    #[arg(long)]
    list: bool,
}

impl From<ExtractArgs> for ExtractOptions {
    fn from(a: ExtractArgs) -> Self {
        ExtractOptions {
            image: a.image,
            name: a.name,
            output: a.output,
            to: a.to,
            list: a.list,
        }
    }
}

impl ExtractArgs {
    /// Runs `tailor extract`.
    pub(crate) fn run(self, out: &mut dyn std::io::Write) -> tailor_core::Result<Status> {
        embed::extract(&self.into(), out)
    }
}
