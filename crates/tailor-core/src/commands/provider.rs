//! The provider side of a command: `--provider ELF` (mapped and read) or `--exports FILE|DIR`
//! (OSv-style lists, repeated), turned into an [`Exports`] table.

use std::path::PathBuf;

use crate::analysis::elf::{self, ElfFacts, ElfKind};
use crate::analysis::exports::Exports;
use crate::error::{Error, Result};
use crate::inputs::{self, Mapped};

/// Where the provider's exports come from.
#[derive(Debug, Clone, Default)]
pub enum ProviderArg {
    /// No provider: needs are listed without intersection.
    #[default]
    None,
    /// `--provider ELF`.
    Elf(PathBuf),
    /// `--exports FILE|DIR`, repeated.
    Lists(Vec<PathBuf>),
}

/// The provider's bytes, owned; [`LoadedProvider::view`] borrows from it.
pub struct LoadedProvider {
    elf: Option<(PathBuf, Mapped)>,
    lists: Vec<(PathBuf, String)>,
}

/// The provider, read.
pub struct ProviderData<'a> {
    pub exports: Exports<'a>,
    pub facts: Option<ElfFacts<'a>>,
    /// Display name.
    pub name: String,
}

impl LoadedProvider {
    /// Maps the provider file or reads the lists.
    pub fn load(arg: &ProviderArg) -> Result<Self> {
        let mut loaded = LoadedProvider {
            elf: None,
            lists: Vec::new(),
        };
        match arg {
            ProviderArg::None => {}
            ProviderArg::Elf(path) => {
                // A libtool `.la` file stands for its shared library.
                let (path, data, note) = inputs::libtool::named_elf(path, Mapped::open(path)?)?;
                if let Some(note) = note {
                    eprintln!("tailor: {note}");
                }
                loaded.elf = Some((path, data));
            }
            ProviderArg::Lists(paths) => {
                loaded.lists = inputs::read_symbol_lists("--exports", paths)?
            }
        }
        Ok(loaded)
    }

    /// Reads the exports; `None` when no provider was given.
    pub fn view(&self) -> Result<Option<ProviderData<'_>>> {
        if let Some((path, data)) = &self.elf {
            let facts = elf::read_facts(path, data.bytes())?;
            if !matches!(facts.kind, ElfKind::Dyn | ElfKind::Exec) {
                return Err(Error::elf(
                    path,
                    "ELF header",
                    "a provider must be a shared library or an executable",
                ));
            }
            return Ok(Some(ProviderData {
                exports: Exports::from_provider(path, &facts),
                facts: Some(facts),
                name: path.to_string_lossy().into_owned(),
            }));
        }
        if !self.lists.is_empty() {
            let names: Vec<String> = self
                .lists
                .iter()
                .map(|(p, _)| p.to_string_lossy().into_owned())
                .collect();
            return Ok(Some(ProviderData {
                exports: Exports::from_lists(&self.lists)?,
                facts: None,
                name: names.join(" "),
            }));
        }
        Ok(None)
    }

    /// Files read, for depfiles.
    pub fn read_files(&self) -> Vec<PathBuf> {
        self.elf
            .iter()
            .map(|(p, _)| p.clone())
            .chain(self.lists.iter().map(|(p, _)| p.clone()))
            .collect()
    }
}
