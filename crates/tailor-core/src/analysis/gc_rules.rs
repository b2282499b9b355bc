//! Stage 2, analysis: how each linker collects sections — one [`GcRules`] per linker, each
//! field a rule where GNU ld (binutils `bfd/elflink.c`), lld (`lld/ELF/MarkLive.cpp`,
//! `Driver.cpp`) and mold (`elf/gc-sections.cc`, mold 1.x) differ. The section graph, the
//! roots and the reports read these fields; nothing else compares linkers.

use crate::inputs::link_command::Linker;

/// Which non-allocated sections a linker keeps (never following their relocations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonAllocKept {
    /// GNU ld: after the mark, those of every file that keeps an allocated, non-note section
    /// — debugging ones or those without relocations, in no group, not `SHF_LINK_ORDER`
    /// (`_bfd_elf_gc_mark_extra_sections`).
    OfFilesKeepingCode,
    /// lld and mold: every one, live from the start (lld's `MarkLive::run` marks each
    /// non-`SHF_ALLOC` section live; mold's `collect_root_set` sets `is_visited` without
    /// enqueueing it).
    Every,
}

/// Which removed sections `--print-gc-sections` names (and the reports count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// GNU ld: every non-empty swept section, `.group` sections included (`elf_gc_sweep`
    /// prints a section when `o->size != 0`).
    NonEmpty,
    /// lld and mold: allocated sections, empty ones too, but never `.eh_frame` (read into
    /// records, not sections) nor `.note.GNU-stack`/`.note.gnu.property` (dropped on
    /// reading); `mergeable` false: mold's `SHF_MERGE` sections are split into fragments
    /// and never named.
    Allocated { mergeable: bool },
}

/// One linker's rules of section garbage collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcRules {
    /// The sections of a COMDAT group another object already brought are dropped when the
    /// object is read, before GC (lld's `ObjFile::initializeSections`, mold's
    /// `eliminate_comdats`); GNU ld keeps them until the sweep, which removes and prints
    /// them (`_bfd_elf_section_already_linked` only marks them `SEC_EXCLUDE` later).
    pub drops_duplicate_comdats: bool,
    /// `-z start-stop-gc` when the command says neither way: lld's default since lld 13
    /// (`config->zStartStopGC`); GNU ld's is off (`info->start_stop_gc`).
    pub start_stop_gc_default: bool,
    /// `-z start-stop-gc` is honoured: a live reference to `__start_X`/`__stop_X` then keeps
    /// no `X`. mold 1.x keeps every `X` whatever it says (and roots them by name anyway).
    pub start_stop_gc_honoured: bool,
    /// Sections whose `__start_`/`__stop_` references keep them even under
    /// `-z start-stop-gc`: lld's `__libc_` prefix, for glibc's static `libc.a`
    /// (`MarkLive::resolveReloc`, `isValidCIdentifier` and `name.starts_with("__libc_")`).
    pub start_stop_kept_prefix: Option<&'static [u8]>,
    /// A live section keeps the `SHF_LINK_ORDER` sections linked to it (GNU ld's
    /// `_bfd_elf_gc_mark_extra_sections`, lld's `dependentSections`); mold 1.10 does not.
    pub link_order_edges: bool,
    /// A live member of a section group keeps the whole group (GNU ld's `_bfd_elf_gc_mark`
    /// through `elf_next_in_group`, lld's `nextInSectionGroup`); mold 1.10 does not.
    pub group_edges: bool,
    /// `SHF_GNU_RETAIN` roots a section only in an object with `EI_OSABI` GNU or FreeBSD
    /// (GNU ld's `elf_gnu_osabi_retain` test in `bfd_elf_gc_sections`); lld and mold honour
    /// it in any object.
    pub retain_needs_gnu_osabi: bool,
    /// Which non-allocated sections are kept.
    pub non_alloc: NonAllocKept,
    /// `.eh_frame` is a root (lld and mold read it into records and keep it; GNU ld reaches
    /// it through its script's `KEEP (*(.eh_frame))`).
    pub eh_frame_is_root: bool,
    /// Init/fini arrays and sections named `.ctors*`, `.dtors*`, `.init*`, `.fini*`, `.jcr*`
    /// are roots by kind (lld's `isReserved`, mold's `is_init_fini`); GNU ld keeps them only
    /// through its script's `KEEP` rules.
    pub init_fini_by_kind: bool,
    /// Every section named like a C identifier is a root (mold's `collect_root_set`:
    /// `is_c_identifier(isec->name())`).
    pub c_identifier_sections_are_roots: bool,
    /// Every `.eh_frame` CIE's personality routine is a root (lld's `scanEhFrameSection`,
    /// mold's `collect_root_set` over `file->cies`).
    pub personality_roots: bool,
    /// The sections an FDE names that are not code, not `SHF_LINK_ORDER` and in no group —
    /// LSDAs, of dead functions too — are roots (lld's `resolveReloc` with `fromFDE`).
    pub fde_lsda_roots: bool,
    /// A `.group` section is swept with its first member (GNU ld's `elf_gc_sweep`).
    pub group_section_follows_first_member: bool,
    /// `_init`/`_fini` are roots when no `-init`/`-fini` names others (GNU ld's
    /// `bfd_elf_gc_sections` through `info->init_function`, lld's `config->init` defaults);
    /// mold roots them only when `-init`/`-fini` name them.
    pub default_init_fini_roots: bool,
    /// In a shared library, what `--dynamic-list` names is exported whatever the version
    /// script says (mold).
    pub dynamic_list_exports_in_shared: bool,
    /// An executable without dynamic sections exports nothing to root, whatever
    /// `--export-dynamic` says (GNU ld's `bfd_elf_gc_mark_dynamic_ref_symbol` under
    /// `dynamic_sections_created`); `--gc-keep-exported` still roots.
    pub exports_need_dynamic_sections: bool,
    /// What `--print-gc-sections` names.
    pub reported: Reported,
    /// The entry when neither `-e` nor the script's `ENTRY` names one: lld's and mold's
    /// `_start` (lld's `Driver.cpp`: `config->entry = "_start"`); GNU ld roots only an entry
    /// named (its built-in script has `ENTRY(_start)`).
    pub default_entry: Option<&'static str>,
    /// The entry is an undefined symbol from the start, pulling archive members as a
    /// reference does (lld's `addUndefined(config->entry)`, mold's `-u`-like entry).
    pub entry_pulls_members: bool,
    /// An entry the script defines roots the section its value is relative to only when it
    /// is assigned inside an output section description (GNU ld); lld keeps it either way.
    pub entry_defined_in_output_sections_only: bool,
    /// The symbols the script's expressions name are roots (lld's `LinkerScript` symbols
    /// marked live in `MarkLive::run`).
    pub script_symbols_are_roots: bool,
    /// The linker has a built-in script (GNU ld's `ld --verbose`): its `KEEP` rules are roots
    /// without `-T`; lld and mold place and keep by their own rules.
    pub builtin_script: bool,
    /// A group member is printed as `name[signature]` (GNU ld's `%pA`).
    pub names_group_members_with_signature: bool,
}

impl GcRules {
    /// The rules of `linker`.
    pub fn of(linker: Linker) -> Self {
        match linker {
            Linker::Bfd => Self::GNU_LD,
            Linker::Lld => Self::LLD,
            Linker::Mold => Self::MOLD,
        }
    }

    /// GNU ld (binutils `bfd/elflink.c`).
    pub const GNU_LD: GcRules = GcRules {
        drops_duplicate_comdats: false,
        start_stop_gc_default: false,
        start_stop_gc_honoured: true,
        start_stop_kept_prefix: None,
        link_order_edges: true,
        group_edges: true,
        retain_needs_gnu_osabi: true,
        non_alloc: NonAllocKept::OfFilesKeepingCode,
        eh_frame_is_root: false,
        init_fini_by_kind: false,
        c_identifier_sections_are_roots: false,
        personality_roots: false,
        fde_lsda_roots: false,
        group_section_follows_first_member: true,
        default_init_fini_roots: true,
        dynamic_list_exports_in_shared: false,
        exports_need_dynamic_sections: true,
        reported: Reported::NonEmpty,
        default_entry: None,
        entry_pulls_members: false,
        entry_defined_in_output_sections_only: true,
        script_symbols_are_roots: false,
        builtin_script: true,
        names_group_members_with_signature: true,
    };

    /// lld (`lld/ELF/MarkLive.cpp`).
    pub const LLD: GcRules = GcRules {
        drops_duplicate_comdats: true,
        start_stop_gc_default: true,
        start_stop_gc_honoured: true,
        start_stop_kept_prefix: Some(b"__libc_"),
        link_order_edges: true,
        group_edges: true,
        retain_needs_gnu_osabi: false,
        non_alloc: NonAllocKept::Every,
        eh_frame_is_root: true,
        init_fini_by_kind: true,
        c_identifier_sections_are_roots: false,
        personality_roots: true,
        fde_lsda_roots: true,
        group_section_follows_first_member: false,
        default_init_fini_roots: true,
        dynamic_list_exports_in_shared: false,
        exports_need_dynamic_sections: false,
        reported: Reported::Allocated { mergeable: true },
        default_entry: Some("_start"),
        entry_pulls_members: true,
        entry_defined_in_output_sections_only: false,
        script_symbols_are_roots: true,
        builtin_script: false,
        names_group_members_with_signature: false,
    };

    /// mold 1.x (`elf/gc-sections.cc`).
    pub const MOLD: GcRules = GcRules {
        drops_duplicate_comdats: true,
        start_stop_gc_default: false,
        start_stop_gc_honoured: false,
        start_stop_kept_prefix: None,
        link_order_edges: false,
        group_edges: false,
        retain_needs_gnu_osabi: false,
        non_alloc: NonAllocKept::Every,
        eh_frame_is_root: true,
        init_fini_by_kind: true,
        c_identifier_sections_are_roots: true,
        personality_roots: true,
        fde_lsda_roots: false,
        group_section_follows_first_member: false,
        default_init_fini_roots: false,
        dynamic_list_exports_in_shared: true,
        exports_need_dynamic_sections: false,
        reported: Reported::Allocated { mergeable: false },
        default_entry: Some("_start"),
        entry_pulls_members: true,
        entry_defined_in_output_sections_only: false,
        script_symbols_are_roots: false,
        builtin_script: false,
        names_group_members_with_signature: false,
    };

    /// Whether a live reference to `__start_X`/`__stop_X` keeps every section `X`, with
    /// `-z start-stop-gc` as `start_stop_gc` says.
    pub fn start_stop_keeps(&self, start_stop_gc: bool, name: &[u8]) -> bool {
        !(start_stop_gc && self.start_stop_gc_honoured)
            || self
                .start_stop_kept_prefix
                .is_some_and(|p| name.starts_with(p))
    }
}
