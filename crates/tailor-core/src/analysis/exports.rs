//! Stage 2, analysis: the provider's exports — from its ELF dynamic symbol table (with versions,
//! types and sizes), or from OSv-style export lists (one name a line, `#` comments).

use std::path::{Path, PathBuf};

use super::byname::ReverseTrie;
use super::elf::{Definition, ElfFacts, VersionDef};
use crate::error::Result;
use crate::hash::FxHashMap;

/// One exported symbol.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Export<'a> {
    #[serde(serialize_with = "ser_bytes")]
    pub name: &'a [u8],
    #[serde(serialize_with = "ser_opt_bytes")]
    pub version: Option<&'a [u8]>,
    /// `name@@version` (default) rather than `name@version`.
    pub default_version: bool,
    pub weak: bool,
    /// `func`, `object`, `tls`, `ifunc`, `notype`, or `?` when read from a list.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub size: u64,
}

/// A provider's export table, indexed by name.
#[derive(Debug, Default)]
pub struct Exports<'a> {
    /// Exports sorted by (name, version).
    pub list: Vec<Export<'a>>,
    /// Version definitions in the provider's order (empty for unversioned providers and lists).
    pub versions: Vec<VersionDef<'a>>,
    /// Where the exports came from (for messages and depfiles).
    pub sources: Vec<PathBuf>,
    by_name: FxHashMap<&'a [u8], (u32, u32)>,
    max_name_len: usize,
    reverse_trie: ReverseTrie<'a>,
}

/// Names of STT_* types as `readelf` prints them, lower-case.
pub fn type_name(sym_type: u8) -> &'static str {
    use object::elf::*;
    match sym_type {
        STT_FUNC => "func",
        STT_OBJECT => "object",
        STT_TLS => "tls",
        STT_GNU_IFUNC => "ifunc",
        STT_COMMON => "common",
        STT_NOTYPE => "notype",
        _ => "other",
    }
}

impl<'a> Exports<'a> {
    /// The defined dynamic symbols of a provider ELF file.
    pub fn from_provider(path: &Path, facts: &ElfFacts<'a>) -> Self {
        let list = facts
            .definitions
            .iter()
            .map(|d: &Definition<'a>| Export {
                name: d.name,
                version: d.version,
                default_version: d.default_version,
                weak: d.weak,
                kind: type_name(d.sym_type),
                size: d.size,
            })
            .collect();
        Self::build(list, facts.version_defs.clone(), vec![path.to_path_buf()])
    }

    /// Exports known otherwise than from an image (a link's model predicting them), without
    /// versions.
    pub fn unversioned(list: Vec<Export<'a>>, sources: Vec<PathBuf>) -> Self {
        Self::build(list, Vec::new(), sources)
    }

    /// The same exports (names, versions, bindings, types, sizes) and version definitions.
    pub fn same_as(&self, other: &Exports<'_>) -> bool {
        fn key<'e>(e: &Export<'e>) -> (&'e [u8], Option<&'e [u8]>, bool, bool, &'static str, u64) {
            (e.name, e.version, e.default_version, e.weak, e.kind, e.size)
        }
        self.list.len() == other.list.len()
            && self.list.iter().map(key).eq(other.list.iter().map(key))
            && self.versions.len() == other.versions.len()
            && self
                .versions
                .iter()
                .zip(&other.versions)
                .all(|(a, b)| a.name == b.name && a.parents == b.parents)
    }

    /// OSv-style export lists: one symbol a line, `#` comments and blank lines skipped.
    pub fn from_lists(lists: &'a [(PathBuf, String)]) -> Result<Self> {
        let list = crate::inputs::symbol_names(lists)?
            .into_iter()
            .map(|name| Export {
                name,
                version: None,
                default_version: true,
                weak: false,
                kind: "?",
                size: 0,
            })
            .collect();
        Ok(Self::build(
            list,
            Vec::new(),
            lists.iter().map(|(p, _)| p.clone()).collect(),
        ))
    }

    fn build(
        mut list: Vec<Export<'a>>,
        versions: Vec<VersionDef<'a>>,
        sources: Vec<PathBuf>,
    ) -> Self {
        list.sort_by(|a, b| (a.name, a.version).cmp(&(b.name, b.version)));
        list.dedup_by(|a, b| (a.name, a.version) == (b.name, b.version));
        let mut by_name = FxHashMap::default();
        by_name.reserve(list.len());
        let mut max_name_len = 0;
        for (i, e) in list.iter().enumerate() {
            max_name_len = max_name_len.max(e.name.len());
            by_name
                .entry(e.name)
                .and_modify(|r: &mut (u32, u32)| r.1 += 1)
                .or_insert((i as u32, 1));
        }
        Exports {
            list,
            versions,
            sources,
            by_name,
            max_name_len,
            reverse_trie: ReverseTrie::default(),
        }
        .with_trie()
    }

    fn with_trie(mut self) -> Self {
        self.reverse_trie = ReverseTrie::new(self.list.iter().map(|e| e.name));
        self
    }

    /// The trie of reversed names the by-name scan walks.
    pub fn reverse_trie(&self) -> &ReverseTrie<'a> {
        &self.reverse_trie
    }

    /// Every export (all versions) of `name`.
    pub fn get(&self, name: &[u8]) -> &[Export<'a>] {
        match self.by_name.get(name) {
            Some(&(start, len)) => &self.list[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    /// The canonical (borrowed-from-provider) slice of an exported name, if exported.
    pub fn canonical(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.get(name).first().map(|e| e.name)
    }

    /// Whether the provider defines versions (`.gnu.version_d`): then a versioned reference
    /// needs that version. An unversioned provider (no version definitions, or export lists)
    /// satisfies a versioned reference with its unversioned definition, as glibc's ld.so and
    /// OSv's loader bind a program built against glibc (`puts@GLIBC_2.2.5`) to a kernel that
    /// exports plain `puts`.
    pub fn versioned(&self) -> bool {
        !self.versions.is_empty()
    }

    /// The export a reference to `name` (at `version`, if the reference is versioned) binds
    /// to, as glibc's `check_match` decides:
    /// - unversioned reference: the unversioned definition or the default (`@@`) version;
    /// - versioned reference, versioned provider: exactly that version (hidden `@` ones too);
    /// - versioned reference, unversioned provider: the unversioned definition.
    pub fn binding(&self, name: &[u8], version: Option<&[u8]>) -> Option<&Export<'a>> {
        let list = self.get(name);
        match version {
            None => list
                .iter()
                .find(|e| e.version.is_none())
                .or_else(|| list.iter().find(|e| e.default_version)),
            Some(v) if self.versioned() => list.iter().find(|e| e.version == Some(v)),
            Some(_) => list.iter().find(|e| e.version.is_none()),
        }
    }

    /// Exported symbols as `nm -D --defined-only` counts them: every (name, version) pair
    /// plus one absolute symbol per version definition.
    pub fn symbol_count(&self) -> usize {
        self.list.len() + self.versions.len()
    }

    /// Whether `name` is exported at all.
    pub fn contains(&self, name: &[u8]) -> bool {
        self.by_name.contains_key(name)
    }

    /// Length of the longest exported name (bounds the by-name scan).
    pub fn max_name_len(&self) -> usize {
        self.max_name_len
    }

    /// Number of distinct exported names.
    pub fn name_count(&self) -> usize {
        self.by_name.len()
    }
}

/// Serializes a byte-string name as a (lossy UTF-8) string.
pub fn ser_bytes<S: serde::Serializer>(b: &&[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}

/// Serializes an optional byte-string name.
pub fn ser_opt_bytes<S: serde::Serializer>(
    b: &Option<&[u8]>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_some(&*String::from_utf8_lossy(b)),
        None => s.serialize_none(),
    }
}
