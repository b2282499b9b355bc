//! Entry points shared by the fuzz targets (fuzz/) and the regression tests that replay their
//! saved inputs (fuzz/regressions/), so a crasher found once stays fixed.

use std::path::Path;

use crate::analysis::compact::CompactFacts;
use crate::analysis::elf::{self, ReadOptions};
use crate::analysis::exports::Exports;
use crate::analysis::{byname, needs};
use crate::inputs::manifest;

/// Reads `data` as an ELF file every way tailor does; must never panic.
pub fn elf_reader(data: &[u8]) {
    let path = Path::new("fuzz-input");
    for opts in [ReadOptions::ALL, ReadOptions::IMPORTS] {
        let Ok(facts) = elf::read_facts_with(path, data, opts) else {
            continue;
        };
        let compact = CompactFacts::from_facts(&facts);
        let view = compact.view();
        let exports = Exports::from_provider(path, &facts);
        let _ = byname::scan(&facts.rodata, &exports);
        let needs = needs::compute(
            std::slice::from_ref(&view),
            Some(needs::ProviderView {
                exports: &exports,
                facts: Some(&facts),
                object_hits: None,
            }),
            true,
        );
        assert!(needs.consumers.len() <= view.imports.len());
    }
}

/// Parses `data` as a manifest; must never panic, and errors must name the file.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let defines = vec![("MODULE_DIR".to_string(), "/m".to_string())];
    if let Err(e) = manifest::parse(Path::new("fuzz.manifest"), text, &defines) {
        assert!(e.to_string().starts_with("fuzz.manifest:"), "{e}");
    }
}

#[cfg(test)]
mod regressions {
    use std::path::PathBuf;

    fn inputs(target: &str) -> Vec<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions")
            .join(target);
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        v
    }

    /// Every saved fuzz input (crashers and the interesting corpus kept beside them) is read
    /// without a panic.
    #[test]
    fn elf_reader_inputs() {
        let files = inputs("elf_reader");
        assert!(!files.is_empty(), "no saved elf_reader inputs");
        for f in files {
            super::elf_reader(&std::fs::read(&f).unwrap());
        }
    }

    #[test]
    fn manifest_inputs() {
        let files = inputs("manifest");
        assert!(!files.is_empty(), "no saved manifest inputs");
        for f in files {
            super::manifest(&std::fs::read(&f).unwrap());
        }
    }
}
