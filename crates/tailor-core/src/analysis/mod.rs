//! Stage 2, analysis: what consumers need ([`needs`]), what the provider exports ([`exports`]),
//! and which exports are looked up by name ([`byname`]), all read through [`elf`].

pub mod byname;
pub mod elf;
pub mod exports;
pub mod needs;

use std::path::Path;

use rayon::prelude::*;

use crate::error::Result;
use crate::inputs::InputSet;
pub use elf::ElfFacts;

/// Reads the facts of every input file in parallel; results keep input order.
pub fn read_all(inputs: &InputSet) -> Result<Vec<ElfFacts<'_>>> {
    inputs
        .files
        .par_iter()
        .map(|f| elf::read_facts(&f.path, f.data.bytes()))
        .collect()
}

/// A path for display: lossy UTF-8, as binutils prints it.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
