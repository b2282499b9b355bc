//! tailor-core: the pipeline behind the `tailor` CLI.
//!
//! Stages, each a function over the previous stage's immutable result:
//! [`inputs`] (files, directories, manifests, lists → memory-mapped ELF files) →
//! [`analysis`] (what each consumer imports, what the provider exports, by-name lookups) →
//! [`decide`] (the export plan and its version script) → [`output`] (atomic writes, depfiles).

pub mod analysis;
pub mod build;
pub mod commands;
pub mod decide;
pub mod demangle;
pub mod error;
pub mod fuzzing;
pub mod glob;
pub mod hash;
pub mod inputs;
pub mod output;
pub(crate) mod progress;
pub mod text;
pub mod trace;
pub mod verify;

pub use error::{Error, Result};
