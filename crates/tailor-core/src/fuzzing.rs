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

/// Finds, decompresses (bounded) and checks embedded archives in arbitrary bytes.
pub fn extract(data: &[u8]) {
    use crate::build::embed;
    for found in embed::find_all(data).into_iter().flatten() {
        if let Ok(tar) = embed::decompress(found.payload, found.compression, 64 << 20) {
            if let Ok(entries) = crate::commands::embed::check_entries(&tar) {
                for (name, _) in entries {
                    assert!(
                        !name.starts_with('/') && !name.split('/').any(|c| c == ".."),
                        "{name}"
                    );
                }
            }
        }
    }
}

/// Evaluates arbitrary text as a make profile; errors must name the file.
pub fn make_profile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = std::env::temp_dir();
    let mut state =
        crate::inputs::make_profile::MakeState::with_command_line(&[("arch".into(), "x64".into())]);
    if let Err(e) = state.eval_text(&dir, Path::new("fuzz.mk"), text, 30) {
        let msg = e.to_string();
        assert!(
            msg.contains("fuzz.mk") || msg.contains("conf") || msg.contains("tmp"),
            "{msg}"
        );
    }
}

/// Parses arbitrary NUL-separated arguments as a link command and rewrites it; also dynamic
/// lists and the comment stripper on the same bytes.
pub fn link_command(data: &[u8]) {
    use crate::inputs::link_command::{LinkCommand, Linker};
    let args: Vec<String> = data
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .filter(|a| !a.starts_with('@'))
        .collect();
    if let Ok(cmd) = LinkCommand::parse(&args) {
        let _ = cmd.tailored(
            Path::new("o"),
            Path::new("v"),
            Some(Path::new("d")),
            Some(Linker::Lld),
            &[],
        );
        let _ = cmd.dynamic_lists();
        let _ = cmd.without_inputs(&cmd.inputs.clone());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(patterns) =
            crate::inputs::version_rules::parse_dynamic_list(Path::new("d.list"), text)
        {
            let _ = crate::decide::dynamic_list::narrow(&patterns, &[b"a".as_slice()]);
        }
    }
    let stripped = crate::build::strip_comments::strip(data);
    let lines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count();
    assert_eq!(
        lines(&stripped),
        lines(data),
        "stripping changed the line count"
    );
}

/// Reads `data` as a relocatable object (or an archive of them) and runs the whole section
/// graph over it — resolution, marking under each linker's rules, retained sizes, chains;
/// must never panic, and errors must name the input.
pub fn object_reader(data: &[u8]) {
    use crate::analysis::{gc, link_model, retained};
    use crate::inputs::link_command::Linker;
    use crate::inputs::version_rules::VersionRules;
    if let Err(e) = crate::analysis::objfile::parse(Path::new("f.o"), "f.o", data) {
        assert!(e.to_string().contains("f.o"), "{e}");
    }
    let Ok(files) = link_model::LinkFiles::from_memory(vec![("f.o".into(), data.to_vec())]) else {
        return;
    };
    let link = match link_model::resolve(&files, &[]) {
        Ok(l) => l,
        Err(e) => {
            assert!(e.to_string().contains("f.o"), "{e}");
            return;
        }
    };
    let none = VersionRules::default();
    for linker in [Linker::Bfd, Linker::Lld, Linker::Mold] {
        let opts = gc::GcOptions {
            rules: gc::GcRules::of(linker),
            entry: Some("_start".into()),
            entry_from: Vec::new(),
            script_symbols: Vec::new(),
            undefined: vec!["main".into()],
            init: "_init".into(),
            fini: "_fini".into(),
            exports: gc::ExportPolicy {
                shared: true,
                dynamic: true,
                export_dynamic: false,
                gc_keep_exported: false,
                version: &none,
                dynamic_list: &none,
            },
            script: None,
            start_stop_gc: false,
            by_name: true,
        };
        let result = gc::collect(&link, &opts);
        let sizes: Vec<u64> = (0..link.section_count).map(|_| 1).collect();
        let r = retained::retained_sizes(&result, &sizes);
        assert!(r.retained[0] <= u64::from(link.section_count));
        if let Some(s) = result.live.iter().rposition(|&l| l) {
            let _ = retained::chains(&result, crate::analysis::ids::SectionId::from_index(s), 3);
        }
    }
}

/// Parses arbitrary text as a linker script; a script that parses prints back to a script
/// that parses to the same printout, and places sections without panicking.
pub fn linker_script(data: &[u8]) {
    use crate::inputs::ldscript;
    let path = Path::new("fuzz.ld");
    match ldscript::parse_text(data, path, &[]) {
        Ok(script) => {
            let printed = ldscript::dump(&script);
            let again = ldscript::parse_text(printed.as_bytes(), path, &[])
                .unwrap_or_else(|e| panic!("the printout does not parse: {e}\n{printed}"));
            assert_eq!(ldscript::dump(&again), printed, "printing is not stable");
            let placer = ldscript::Placer::new(&script);
            for name in [&b".text.startup"[..], b".data", b".bss.x", b"foo"] {
                let s = ldscript::placement::InputSection {
                    file: b"a.o",
                    archive: Some(b"lib.a"),
                    name,
                    sh_type: 1,
                    sh_flags: 6,
                };
                if placer.place(&s) == ldscript::Placement::Orphan {
                    let _ = placer.orphan_home(&s);
                }
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.ld:"), "{e}"),
    }
}

/// The system-call analysis's decoder front end: arbitrary bytes as a whole ELF file (decoded,
/// partitioned and traced as `tailor syscalls` does) and as raw x86-64 and AArch64 code;
/// must never panic.
pub fn syscalls(data: &[u8]) {
    use crate::analysis::syscalls::{self, Arch};
    let _ = syscalls::decode_only(data);
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let n = syscalls::decode_bytes(arch, 0x40_0000, data);
        assert!(n <= data.len(), "more instructions than bytes");
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
    fn other_parser_inputs() {
        for (target, f) in [
            ("extract", super::extract as fn(&[u8])),
            ("make_profile", super::make_profile),
            ("link_command", super::link_command),
            ("object_reader", super::object_reader),
            ("linker_script", super::linker_script),
            ("syscalls", super::syscalls),
        ] {
            let files = inputs(target);
            assert!(!files.is_empty(), "no saved {target} inputs");
            for file in files {
                f(&std::fs::read(&file).unwrap());
            }
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
