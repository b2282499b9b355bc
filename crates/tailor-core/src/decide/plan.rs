//! Stage 3, decisions: which provider exports the tailored image keeps, and why.
//!
//! Kept: every export (all its versions, so the image keeps its ABI) whose name a consumer
//! imports — weak imports included —, every by-name candidate (unless disabled), and every name
//! of the keep list. Each entry records its first reason: a consumer, a by-name string, or the
//! keep list.

use std::path::PathBuf;

use crate::analysis::elf::VersionDef;
use crate::analysis::exports::Exports;
use crate::analysis::needs::{FileId, Needs};
use crate::error::Result;

/// Why an export is kept (the first reason found, in this order of priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Imported by this consumer (the first one in input order).
    Consumer(FileId),
    /// Found as a string (index into [`Needs::by_name`]).
    ByName(u32),
    /// Named in the keep list.
    Keep,
}

/// One kept export.
#[derive(Debug, Clone, Copy)]
pub struct PlanEntry<'a> {
    pub name: &'a [u8],
    pub version: Option<&'a [u8]>,
    pub reason: Reason,
}

/// The export plan.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    /// Kept exports, sorted by (name, version), each once.
    pub entries: Vec<PlanEntry<'a>>,
    /// The provider's version definitions, in its order (all kept: consumers' version
    /// requirements are checked against them at load time).
    pub versions: Vec<VersionDef<'a>>,
    /// Keep-list names the provider does not export (nothing to keep).
    pub keep_not_exported: Vec<&'a [u8]>,
    /// The provider's exported names the plan drops, sorted. A versioned provider that keeps
    /// unversioned exports cannot end its script with `local: *;` (that would hide them too),
    /// so these are hidden by name.
    pub dropped: Vec<&'a [u8]>,
    /// A versioned provider keeps some of its unversioned (base) exports, as zlib's script
    /// leaves most of its API: the version script then names what it hides instead of ending
    /// in `local: *;`.
    pub keeps_base_exports: bool,
}

/// Options of the plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// Keep by-name candidates.
    pub by_name: bool,
}

/// A parsed keep list: one symbol a line, `#` comments.
pub fn parse_keep(lists: &[(PathBuf, String)]) -> Result<Vec<&[u8]>> {
    crate::inputs::symbol_names(lists)
}

/// Decides the kept exports.
pub fn plan<'a>(
    needs: &Needs<'a>,
    exports: &Exports<'a>,
    keep: &[&'a [u8]],
    opts: PlanOptions,
) -> Plan<'a> {
    let mut entries = Vec::new();
    let mut add = |name: &[u8], reason: Reason| {
        for e in exports.get(name) {
            entries.push(PlanEntry {
                name: e.name,
                version: e.version,
                reason,
            });
        }
    };
    for (id, need) in needs.symbols.iter().enumerate() {
        if let Some(first) = needs.consumers_of(id as u32).next() {
            add(need.name, Reason::Consumer(first));
        }
    }
    if opts.by_name {
        for (i, b) in needs.by_name.iter().enumerate() {
            add(b.hit.name, Reason::ByName(i as u32));
        }
    }
    let mut keep_not_exported = Vec::new();
    for &name in keep {
        if exports.contains(name) {
            add(name, Reason::Keep);
        } else {
            keep_not_exported.push(name);
        }
    }
    entries.sort_by(|a, b| (a.name, a.version, a.reason).cmp(&(b.name, b.version, b.reason)));
    entries.dedup_by(|a, b| (a.name, a.version) == (b.name, b.version));
    keep_not_exported.sort_unstable();
    keep_not_exported.dedup();
    let mut dropped: Vec<&'a [u8]> = exports
        .list
        .iter()
        .map(|e| e.name)
        .filter(|n| entries.binary_search_by(|e| e.name.cmp(n)).is_err())
        .collect();
    dropped.dedup();
    let keeps_base_exports =
        !exports.versions.is_empty() && entries.iter().any(|e| e.version.is_none());
    Plan {
        keeps_base_exports,
        entries,
        versions: exports.versions.clone(),
        keep_not_exported,
        dropped,
    }
}

impl<'a> Plan<'a> {
    /// Adds names the provider does not export yet (an embedded archive's symbols), kept
    /// unversioned; the entries stay sorted.
    pub fn add_kept(&mut self, names: impl Iterator<Item = &'a [u8]>) {
        for name in names {
            self.entries.push(PlanEntry {
                name,
                version: None,
                reason: Reason::Keep,
            });
        }
        self.entries
            .sort_by(|a, b| (a.name, a.version, a.reason).cmp(&(b.name, b.version, b.reason)));
        self.entries
            .dedup_by(|a, b| (a.name, a.version) == (b.name, b.version));
    }
}

impl Plan<'_> {
    /// Distinct names kept.
    pub fn name_count(&self) -> usize {
        let mut names: Vec<&[u8]> = self.entries.iter().map(|e| e.name).collect();
        names.dedup();
        names.len()
    }
}
