//! Unit tests of the link model and the section graph on links built in memory
//! ([`super::test_links`]): roots, edges, COMDAT groups, archive extraction, `.eh_frame`,
//! `__start_`/`__stop_`, `KEEP`, init arrays, export roots. Each expectation follows from the
//! input as built; where the linkers differ, `crates/tailor/tests/gc_units.rs` links the same
//! bytes with GNU ld, lld and mold and compares.
//!
//! Only [`Case::run`] and [`Outcome`] know how ids are represented.

use std::collections::BTreeSet;
use std::path::Path;

use object::elf;

use super::link_model::LinkFiles;
use super::predict::{self, LinkRead, PredictedExports};
use super::test_links::*;
use crate::inputs::ldscript;
use crate::inputs::link_command::Linker;
use crate::inputs::linker_args::LinkerArgs;
use crate::inputs::version_rules::VersionRules;

const LINKERS: [Linker; 3] = [Linker::Bfd, Linker::Lld, Linker::Mold];

/// The part of GNU ld 2.40's built-in script (`ld --verbose`) these links meet: GNU ld always
/// places by a script, and its `KEEP`s are roots.
const BFD_SCRIPT: &str = "ENTRY(_start)
SECTIONS {
  .init_array : { KEEP (*(SORT_BY_INIT_PRIORITY(.init_array.*) SORT_BY_INIT_PRIORITY(.ctors.*)))
                  KEEP (*(.init_array EXCLUDE_FILE (*crtbegin.o *crtbegin?.o *crtend.o *crtend?.o ) .ctors)) }
  .fini_array : { KEEP (*(SORT_BY_INIT_PRIORITY(.fini_array.*) SORT_BY_INIT_PRIORITY(.dtors.*)))
                  KEEP (*(.fini_array EXCLUDE_FILE (*crtbegin.o *crtbegin?.o *crtend.o *crtend?.o ) .dtors)) }
  .preinit_array : { KEEP (*(.preinit_array)) }
  .text : { *(.text .stub .text.* .gnu.linkonce.t.*) }
  .rodata : { *(.rodata .rodata.* .gnu.linkonce.r.*) }
  .eh_frame : ONLY_IF_RO { KEEP (*(.eh_frame)) *(.eh_frame.*) }
  .gcc_except_table : ONLY_IF_RO { *(.gcc_except_table .gcc_except_table.*) }
  .data : { *(.data .data.* .gnu.linkonce.d.*) }
  .bss : { *(.bss .bss.* .gnu.linkonce.b.*) *(COMMON) }
}";

/// A link to predict: inputs as bytes and the options that decide the roots.
struct Case {
    linker: Linker,
    inputs: Vec<(String, Vec<u8>)>,
    whole_archive: Vec<String>,
    /// `-e`; else the script's `ENTRY`; else `_start` for lld and mold.
    entry: Option<String>,
    undefined: Vec<String>,
    shared: bool,
    export_dynamic: bool,
    version_script: Option<String>,
    /// A `-T` script; GNU ld links without one use [`BFD_SCRIPT`].
    script: Option<String>,
    /// `-z start-stop-gc`; each linker's default to begin with.
    start_stop_gc: bool,
}

/// (file as the linker names it, section name).
type Sections = BTreeSet<(String, String)>;

/// What the prediction says.
struct Outcome {
    /// Every live modelled section.
    live: Sections,
    /// The sections the linker's `--print-gc-sections` would name.
    removed: Sections,
    /// The objects loaded (archive members as `lib.a(m.o)`), in load order.
    loaded: Vec<String>,
}

impl Case {
    fn new(linker: Linker) -> Self {
        Case {
            linker,
            inputs: Vec::new(),
            whole_archive: Vec::new(),
            entry: None,
            undefined: Vec::new(),
            shared: false,
            export_dynamic: false,
            version_script: None,
            script: None,
            start_stop_gc: linker == Linker::Lld,
        }
    }

    fn input(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.inputs.push((name.into(), bytes));
        self
    }

    fn object(self, name: &str, o: &Obj) -> Self {
        self.input(name, o.bytes())
    }

    fn run(&self) -> Outcome {
        let mut files = LinkFiles::from_memory(self.inputs.clone()).expect("in-memory inputs");
        for f in &mut files.files {
            f.whole_archive = self.whole_archive.contains(&f.display);
        }
        let script_text = match (&self.script, self.linker) {
            (Some(s), _) => Some(s.as_str()),
            (None, Linker::Bfd) => Some(BFD_SCRIPT),
            (None, _) => None,
        };
        let script = script_text.map(|t| {
            ldscript::parse_text(t.as_bytes(), Path::new("test.ld"), &[]).expect("script")
        });
        let args = LinkerArgs {
            linker: Some(self.linker),
            entry: self.entry.clone(),
            undefined: self.undefined.clone(),
            shared: self.shared,
            export_dynamic: self.export_dynamic,
            start_stop_gc: Some(self.start_stop_gc),
            ..LinkerArgs::default()
        };
        let read = LinkRead::from_parts(args, self.linker, script, files);
        let mut version = VersionRules::for_linker(self.linker);
        if let Some(v) = &self.version_script {
            version
                .add_script(Path::new("test.map"), v)
                .expect("version script");
        }
        let exports = PredictedExports {
            version,
            dynamic_list: VersionRules::default(),
            by_name: false,
        };
        let prediction = predict::predict(&read, exports, &mut crate::trace::Timings::start())
            .expect("resolving");
        let (link, result) = (&prediction.link, &prediction.gc);
        let mut out = Outcome {
            live: Sections::new(),
            removed: Sections::new(),
            loaded: link.objects.iter().map(|o| o.display.clone()).collect(),
        };
        for o in &link.objects {
            for (i, s) in o.elf.sections.iter().enumerate() {
                let id = o.base.offset(i as u32).index();
                let key = (
                    o.display.clone(),
                    String::from_utf8_lossy(s.name).into_owned(),
                );
                if result.live[id] && s.modeled {
                    out.live.insert(key);
                } else if !result.live[id] && result.reportable[id] {
                    out.removed.insert(key);
                }
            }
        }
        out
    }
}

fn set(items: &[(&str, &str)]) -> Sections {
    items
        .iter()
        .map(|(f, s)| (f.to_string(), s.to_string()))
        .collect()
}

#[test]
fn entry_and_dash_u_are_roots() {
    for linker in LINKERS {
        let mut c = Case::new(linker).object("a.o", &entry_object());
        c.undefined.push("kept_by_u".into());
        let out = c.run();
        assert_eq!(out.removed, set(&[("a.o", ".text.unused")]), "{linker:?}");
        assert!(out.live.contains(&("a.o".into(), ".text.used".into())));
        assert!(out.live.contains(&("a.o".into(), ".text.kept_by_u".into())));
    }
}

#[test]
fn another_entry_leaves_start_unrooted() {
    for linker in LINKERS {
        let mut c = Case::new(linker).object("a.o", &entry_object());
        c.entry = Some("unused".into());
        let out = c.run();
        assert_eq!(
            out.removed,
            set(&[
                ("a.o", ".text._start"),
                ("a.o", ".text.used"),
                ("a.o", ".text.kept_by_u")
            ]),
            "{linker:?}"
        );
    }
}

#[test]
fn relocations_are_edges_through_globals_locals_sections_and_objects() {
    let (a, b) = edge_objects();
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &a).object("b.o", &b).run();
        assert_eq!(
            out.removed,
            set(&[
                ("a.o", ".text.island"),
                ("a.o", ".text.island_leaf"),
                ("b.o", ".text.other")
            ]),
            "{linker:?}"
        );
        for s in [".text._start", ".text.helper", ".data.table"] {
            assert!(
                out.live.contains(&("a.o".into(), s.into())),
                "{linker:?} {s}"
            );
        }
        assert!(out.live.contains(&("b.o".into(), ".text.leaf".into())));
    }
}

#[test]
fn weak_definition_loses_to_strong_and_its_section_is_unreached() {
    let (a, b) = weak_objects();
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &a).object("b.o", &b).run();
        assert_eq!(out.removed, set(&[("a.o", ".text.f")]), "{linker:?}");
    }
}

#[test]
fn a_comdat_group_is_kept_and_dropped_as_a_unit() {
    // Kept: `_start` reaches the group's code; the group's other member comes along even
    // without a reference of its own (GNU ld and lld).
    let kept = comdat_kept_object();
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &kept).run();
        // mold 1.10 keeps a group's members each for itself.
        let want = match linker {
            Linker::Mold => set(&[("a.o", ".rodata.g_extra")]),
            _ => Sections::new(),
        };
        assert_eq!(out.removed, want, "{linker:?}");
    }
    // Dropped: nothing reaches it; every member goes (GNU ld also names the `.group`).
    let dead = comdat_dead_object();
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &dead).run();
        let mut want = set(&[("a.o", ".text.inl"), ("a.o", ".data.inl_data")]);
        if linker == Linker::Bfd {
            want.insert(("a.o".into(), ".group".into()));
        }
        assert_eq!(out.removed, want, "{linker:?}");
    }
}

#[test]
fn a_duplicate_comdat_group_is_dropped_for_the_first() {
    // Both objects carry group `inl`; the first one loaded wins, and b.o's `inl` call binds
    // to a.o's copy. GNU ld sweeps (and names) b.o's copy; lld and mold drop it on reading.
    let a = comdat_object(Some("_start"));
    let b = comdat_object(Some("b_user"));
    for linker in LINKERS {
        let mut c = Case::new(linker).object("a.o", &a).object("b.o", &b);
        c.undefined.push("b_user".into());
        let out = c.run();
        let want = match linker {
            Linker::Bfd => set(&[
                ("b.o", ".text.inl"),
                ("b.o", ".data.inl_data"),
                ("b.o", ".group"),
            ]),
            _ => Sections::new(),
        };
        assert_eq!(out.removed, want, "{linker:?}");
        assert!(out.live.contains(&("a.o".into(), ".data.inl_data".into())));
        assert!(!out.live.contains(&("b.o".into(), ".text.inl".into())));
    }
}

#[test]
fn archive_members_are_extracted_for_needed_symbols_only() {
    for linker in LINKERS {
        let out = Case::new(linker)
            .object("main.o", &caller_of("f2", false))
            .input("lib.a", library())
            .run();
        assert_eq!(
            out.loaded,
            ["main.o", "lib.a(m2.o)", "lib.a(m3.o)"],
            "{linker:?}"
        );
        assert!(out.removed.is_empty(), "{linker:?}: {:?}", out.removed);
    }
}

#[test]
fn an_archive_before_its_user_and_a_weak_reference_extract_nothing() {
    for linker in LINKERS {
        let before = Case::new(linker)
            .input("lib.a", library())
            .object("main.o", &caller_of("f2", false))
            .run();
        assert_eq!(before.loaded, ["main.o"], "{linker:?}");
        let weak = Case::new(linker)
            .object("main.o", &caller_of("f1", true))
            .input("lib.a", library())
            .run();
        assert_eq!(weak.loaded, ["main.o"], "{linker:?}");
    }
}

#[test]
fn whole_archive_loads_every_member_and_gc_removes_the_unused() {
    for linker in LINKERS {
        let mut c = Case::new(linker)
            .object("main.o", &caller_of("f2", false))
            .input("lib.a", library());
        c.whole_archive.push("lib.a".into());
        let out = c.run();
        assert_eq!(
            out.loaded,
            [
                "main.o",
                "lib.a(m1.o)",
                "lib.a(m2.o)",
                "lib.a(m3.o)",
                "lib.a(m4.o)"
            ],
            "{linker:?}"
        );
        assert_eq!(
            out.removed,
            set(&[("lib.a(m1.o)", ".text.f1"), ("lib.a(m4.o)", ".text.f4")]),
            "{linker:?}"
        );
    }
}

#[test]
fn eh_frame_roots_no_function_and_its_lsdas_and_personalities_follow_each_linker() {
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &eh_object(true)).run();
        // GNU ld follows a live function's FDE only; lld also keeps every LSDA (an FDE's
        // non-code target) and every CIE's personality; mold every personality.
        let want = match linker {
            Linker::Bfd | Linker::Mold => {
                set(&[("a.o", ".text.dead"), ("a.o", ".gcc_except_table.dead")])
            }
            Linker::Lld => set(&[("a.o", ".text.dead")]),
        };
        assert_eq!(out.removed, want, "{linker:?}");
        assert!(out.live.contains(&("a.o".into(), ".text.pers".into())));
        assert!(out
            .live
            .contains(&("a.o".into(), ".gcc_except_table._start".into())));
        // Only the dead function uses the personality: GNU ld drops it, lld and mold keep it.
        let out = Case::new(linker).object("a.o", &eh_object(false)).run();
        assert_eq!(
            out.removed.contains(&("a.o".into(), ".text.pers".into())),
            linker == Linker::Bfd,
            "{linker:?}: {:?}",
            out.removed
        );
    }
}

#[test]
fn start_stop_references_keep_their_sections_unless_start_stop_gc() {
    let (a, b) = start_stop_objects();
    for linker in LINKERS {
        for start_stop_gc in [false, true] {
            let mut c = Case::new(linker).object("a.o", &a).object("b.o", &b);
            c.start_stop_gc = start_stop_gc;
            let out = c.run();
            let mut want = set(&[("b.o", ".not_c.ident")]);
            // mold keeps every section named like a C identifier.
            if linker != Linker::Mold {
                want.insert(("a.o".into(), "othersec".into()));
            }
            // -z start-stop-gc lets the references go; lld still keeps `__libc_*`.
            if linker != Linker::Mold && start_stop_gc {
                want.insert(("a.o".into(), "mysec".into()));
                want.insert(("b.o".into(), "mysec".into()));
                if linker == Linker::Bfd {
                    want.insert(("a.o".into(), "__libc_atexit".into()));
                }
            }
            assert_eq!(
                out.removed, want,
                "{linker:?} start-stop-gc {start_stop_gc}"
            );
        }
    }
}

#[test]
fn unreferenced_c_identifier_sections_are_roots_in_mold_only() {
    for linker in LINKERS {
        let out = Case::new(linker)
            .object("a.o", &libc_section_object())
            .run();
        let want = match linker {
            Linker::Bfd | Linker::Lld => set(&[("a.o", "__libc_atexit"), ("a.o", "my_c_section")]),
            Linker::Mold => Sections::new(),
        };
        assert_eq!(out.removed, want, "{linker:?}");
    }
}

#[test]
fn keep_in_a_script_is_a_root_and_follows_its_relocations() {
    let (a, script) = (keep_object(), KEEP_SCRIPT);
    for linker in LINKERS {
        let mut c = Case::new(linker).object("a.o", &a);
        c.script = Some(script.into());
        let out = c.run();
        let mut want = set(&[("a.o", ".text.unused"), ("a.o", ".notkept")]);
        // A script without ENTRY and no -e: GNU ld roots no entry (lld and mold `_start`).
        if linker == Linker::Bfd {
            want.insert(("a.o".into(), ".text._start".into()));
        }
        assert_eq!(out.removed, want, "{linker:?}");
    }
}

#[test]
fn init_and_fini_arrays_are_roots_by_type_or_by_script_name() {
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &init_object()).run();
        let want = match linker {
            // The built-in script KEEPs by name.
            Linker::Bfd => set(&[("a.o", ".myinit"), ("a.o", ".text.ctor_myinit")]),
            // lld and mold keep by type.
            Linker::Lld | Linker::Mold => Sections::new(),
        };
        assert_eq!(out.removed, want, "{linker:?}");
    }
}

#[test]
fn gnu_retain_and_note_sections_are_roots() {
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &retain_object(true)).run();
        assert!(out.removed.is_empty(), "{linker:?}: {:?}", out.removed);
        // GNU ld honours SHF_GNU_RETAIN only in an ELFOSABI_GNU object.
        let out = Case::new(linker).object("a.o", &retain_object(false)).run();
        let want = match linker {
            Linker::Bfd => set(&[("a.o", ".text.retained")]),
            _ => Sections::new(),
        };
        assert_eq!(out.removed, want, "{linker:?}");
    }
}

#[test]
fn link_order_sections_live_with_the_section_they_are_linked_to() {
    let a = link_order_object();
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &a).run();
        let mut want = set(&[("a.o", ".text.dead"), ("a.o", ".meta.dead")]);
        // mold 1.10 does not keep a link-order section for its section's sake.
        if linker == Linker::Mold {
            want.insert(("a.o".into(), ".meta.live".into()));
        }
        assert_eq!(out.removed, want, "{linker:?}");
    }
}

#[test]
fn exports_are_roots_of_shared_libraries_and_of_export_dynamic_executables() {
    let o = export_object();
    for linker in LINKERS {
        let exe = Case::new(linker).object("a.o", &o).run();
        assert_eq!(
            exe.removed,
            set(&[
                ("a.o", ".text.api"),
                ("a.o", ".text.priv"),
                ("a.o", ".text.internal"),
                ("a.o", ".text.file_local")
            ]),
            "{linker:?} executable"
        );
        let mut c = Case::new(linker).object("a.o", &o);
        c.export_dynamic = true;
        // No shared library among the inputs, no -pie: GNU ld makes no dynamic sections,
        // and --export-dynamic exports (and so roots) nothing.
        let want = match linker {
            Linker::Bfd => exe.removed.clone(),
            _ => set(&[("a.o", ".text.priv"), ("a.o", ".text.file_local")]),
        };
        assert_eq!(c.run().removed, want, "{linker:?} --export-dynamic");
        let mut c = Case::new(linker).object("a.o", &o);
        c.shared = true;
        assert_eq!(
            c.run().removed,
            set(&[("a.o", ".text.priv"), ("a.o", ".text.file_local")]),
            "{linker:?} -shared"
        );
    }
}

#[test]
fn a_version_script_makes_a_symbol_local_and_unrooted() {
    for linker in LINKERS {
        let mut c = Case::new(linker).object("a.o", &export_object());
        c.shared = true;
        c.version_script = Some("V1 { global: api; local: *; };".into());
        assert_eq!(
            c.run().removed,
            set(&[
                ("a.o", ".text.priv"),
                ("a.o", ".text.internal"),
                ("a.o", ".text.file_local")
            ]),
            "{linker:?}"
        );
    }
}

#[test]
fn non_allocated_sections_keep_nothing_alive() {
    let a = debug_object();
    for linker in LINKERS {
        let out = Case::new(linker).object("a.o", &a).run();
        assert_eq!(out.removed, set(&[("a.o", ".text.dead")]), "{linker:?}");
        assert!(out.live.contains(&("a.o".into(), ".debug_info".into())));
    }
}

#[test]
fn builder_writes_what_it_was_told() {
    // The fixtures themselves, read back by tailor's own object reader.
    let mut o = Obj::new();
    o.func("f", Bind::Global)
        .section(".bss.b", elf::SHT_NOBITS, DATA, 32)
        .section("meta", elf::SHT_PROGBITS, RODATA, 8)
        .link_order("meta", ".text.f")
        .reloc(".text.f", ".bss.b")
        .comdat("f", &[".text.f", "meta"]);
    let bytes = o.bytes();
    let elf = super::objfile::parse(Path::new("t.o"), "t.o", &bytes).expect("parse");
    let by_name = |n: &str| {
        elf.sections
            .iter()
            .position(|s| s.name == n.as_bytes())
            .expect(n)
    };
    let (text, bss, meta) = (by_name(".text.f"), by_name(".bss.b"), by_name("meta"));
    assert_eq!(elf.sections[bss].size, 32);
    assert_eq!(elf.sections[bss].sh_type, elf::SHT_NOBITS);
    assert_eq!(elf.sections[meta].link as usize, text);
    assert_eq!(elf.sections[text].flags & CODE, CODE);
    assert_eq!(elf.groups.len(), 1);
    assert_eq!(elf.groups[0].1, b"f");
    assert_eq!(elf.groups[0].2, [text as u32, meta as u32]);
    let r = &elf.relocs[elf.sections[text].relocs.start as usize];
    assert_eq!(elf.symbols[r.sym as usize].section(), Some(bss as u32));
}
