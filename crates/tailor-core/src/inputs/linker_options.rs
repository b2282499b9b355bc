//! Stage 1, inputs: the one table of linker options (GNU ld, lld and mold) and the one
//! tokenizer over it. `link_command` (what tailor replaces in the tailored command) and
//! `linker_args` (what the link model reads) both split a linker's arguments here, so an
//! option means the same thing to `tailor link` and to `tailor gc`.
//!
//! How a token is read, for all three linkers (they agree on these forms):
//! - a token that does not start with `-`, or is `-` itself, is an input;
//! - a long name (two or more letters) is written with one or two dashes (`--soname`,
//!   `-soname`); its value follows `=` (`--soname=V`, `-soname=V`) or is the next argument;
//! - a one-letter option takes its value joined (`-lc`, `-Tx.ld`, `-L=dir`: the value is
//!   `=dir`) or as the next argument (`-l c`);
//! - a single-dash token starting with `o` is always `-o` with a joined value (`-omagic`
//!   writes `magic`), as GNU ld documents;
//! - a single-dash token that is a proper prefix of a long name (`-eh`, `-un`, `-Tt`) is not
//!   read as a joined one-letter option: GNU ld takes it as an abbreviation of a long option
//!   (or rejects it as ambiguous); tailor passes it through as one unknown token. `-l` and `-L`
//!   are exempt (`-li` is library `i` to GNU ld too). Abbreviations themselves are not
//!   expanded: lld and mold reject them.
//!
//! Tests check the table against each linker's own `--help` at test time.

use std::collections::HashMap;
use std::sync::OnceLock;

/// How an option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Takes {
    /// A flag.
    Nothing,
    /// A value: after `=` or joined (see the module doc), else the next argument.
    Value,
    /// A value only after `=` (`--build-id=sha1`); alone, a flag. Never the next argument.
    OptionalEq,
    /// A value glued to the long name (`--lto-O2`).
    Joined,
}

/// What an option means to tailor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meaning {
    /// Passed through unchanged, read by nothing in tailor.
    PassThrough,
    /// Affects what GC keeps, how symbols resolve or where files are found, and the link
    /// model does not read it yet: passed through; `LinkerArgs` lists the ones it met.
    Unmodelled,
    // Inputs and the state that applies to the inputs after them.
    /// `-l NAME`: an input searched in the `-L` directories.
    Library,
    /// `-L DIR`.
    LibraryPath,
    WholeArchive(bool),
    AsNeeded(bool),
    /// `-Bstatic` (true) / `-Bdynamic` (false): whether `-l` finds only archives.
    StaticOnly(bool),
    StartGroup,
    EndGroup,
    /// `--push-state` / `--pop-state`: saves and restores the three flags above.
    PushState,
    PopState,
    // The kind of link.
    /// `-o FILE`: replaced in the tailored command.
    Output,
    Shared,
    Pie(bool),
    Relocatable,
    /// `-m EMULATION`.
    Emulation,
    /// `-T FILE`, `--default-script FILE`: the linker script.
    Script,
    // What decides GC roots and what is kept.
    Entry,
    /// `-u`, `--undefined`, `--require-defined`.
    Undefined,
    Init,
    Fini,
    ExportDynamic(bool),
    /// `--gc-sections` (true) / `--no-gc-sections` (false, dropped from the tailored command).
    GcSections(bool),
    GcKeepExported,
    /// `-z KEYWORD`: see [`Z_KEYWORDS`].
    Z,
    /// `--defsym NAME=EXPR`.
    Defsym,
    /// `--exclude-libs LIBS`.
    ExcludeLibs,
    // Export controls, replaced or dropped in the tailored command.
    /// `--version-script FILE`: replaced by tailor's.
    VersionScript,
    /// `--dynamic-list FILE`: replaced by the narrowed list (shared library) or by
    /// `--export-dynamic` (executable).
    DynamicList,
    /// `--export-dynamic-symbol*`, `--retain-symbols-file`: more exports than the plan; dropped.
    ExtraExports,
}

/// One option: every spelling GNU ld, lld and mold accept for it (without dashes; see the
/// module doc for the forms), how it takes a value and what it means to tailor.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LinkerOption {
    pub names: &'static [&'static str],
    pub takes: Takes,
    pub meaning: Meaning,
}

const fn opt(names: &'static [&'static str], takes: Takes, meaning: Meaning) -> LinkerOption {
    LinkerOption {
        names,
        takes,
        meaning,
    }
}

const fn flag(names: &'static [&'static str]) -> LinkerOption {
    opt(names, Takes::Nothing, Meaning::PassThrough)
}

const fn value(names: &'static [&'static str]) -> LinkerOption {
    opt(names, Takes::Value, Meaning::PassThrough)
}

const fn optional(names: &'static [&'static str]) -> LinkerOption {
    opt(names, Takes::OptionalEq, Meaning::PassThrough)
}

use Meaning::*;
use Takes::{Nothing as F, OptionalEq as EQ, Value as V};

/// The table. Options tailor reads come first; then the ones it passes through.
pub(crate) static LINKER_OPTIONS: &[LinkerOption] = &[
    // Inputs and their state.
    opt(&["l", "library"], V, Library),
    opt(&["L", "library-path"], V, LibraryPath),
    opt(&["whole-archive"], F, WholeArchive(true)),
    opt(&["no-whole-archive"], F, WholeArchive(false)),
    opt(&["as-needed"], F, AsNeeded(true)),
    opt(&["no-as-needed"], F, AsNeeded(false)),
    opt(
        &["Bstatic", "dn", "non_shared", "static"],
        F,
        StaticOnly(true),
    ),
    opt(&["Bdynamic", "dy", "call_shared"], F, StaticOnly(false)),
    opt(&["(", "start-group"], F, StartGroup),
    opt(&[")", "end-group"], F, EndGroup),
    opt(&["push-state"], F, PushState),
    opt(&["pop-state"], F, PopState),
    // The kind of link.
    opt(&["o", "output"], V, Output),
    opt(&["shared", "Bshareable"], F, Shared),
    opt(&["pie", "pic-executable"], F, Pie(true)),
    opt(&["no-pie", "no-pic-executable"], F, Pie(false)),
    opt(&["r", "i", "relocatable"], F, Relocatable),
    opt(&["m"], V, Emulation),
    opt(&["T", "script", "dT", "default-script"], V, Script),
    // Roots and what GC keeps.
    opt(&["e", "entry"], V, Entry),
    opt(&["u", "undefined", "require-defined"], V, Undefined),
    opt(&["init"], V, Init),
    opt(&["fini"], V, Fini),
    opt(&["E", "export-dynamic"], F, ExportDynamic(true)),
    opt(&["no-export-dynamic"], F, ExportDynamic(false)),
    opt(&["gc-sections"], F, GcSections(true)),
    opt(&["no-gc-sections"], F, GcSections(false)),
    opt(&["gc-keep-exported"], F, GcKeepExported),
    opt(&["z"], V, Z),
    opt(&["defsym"], V, Defsym),
    opt(&["exclude-libs"], V, ExcludeLibs),
    // Export controls.
    opt(&["version-script", "version-script-file"], V, VersionScript),
    opt(&["dynamic-list"], V, DynamicList),
    opt(&["export-dynamic-symbol"], V, ExtraExports),
    opt(&["export-dynamic-symbol-list"], V, ExtraExports),
    opt(&["retain-symbols-file"], V, ExtraExports),
    // Not modelled yet, though they change what a link keeps or finds.
    opt(&["wrap"], V, Unmodelled),
    opt(&["undefined-glob"], V, Unmodelled),
    opt(&["start-lib"], F, Unmodelled),
    opt(&["end-lib"], F, Unmodelled),
    opt(&["R", "just-symbols"], V, Unmodelled),
    opt(&["C", "directory"], V, Unmodelled),
    opt(&["sysroot"], V, Unmodelled),
    opt(&["Y"], V, Unmodelled),
    opt(&["nostdlib"], F, Unmodelled),
    opt(&["icf"], EQ, Unmodelled),
    opt(&["no-icf"], F, Unmodelled),
    opt(&["keep-unique"], V, Unmodelled),
    opt(&["no-define-common"], F, Unmodelled),
    // Passed through: values.
    value(&["a"]),
    value(&["A", "architecture"]),
    value(&["b", "format"]),
    value(&["c", "mri-script"]),
    value(&["f", "auxiliary"]),
    value(&["F", "filter"]),
    value(&["G", "gpsize"]),
    value(&["h", "soname"]),
    value(&["I", "dynamic-linker"]),
    value(&["O"]),
    value(&["P", "depaudit"]),
    value(&["y", "trace-symbol"]),
    value(&["audit"]),
    value(&["dependency-file"]),
    value(&["out-implib"]),
    value(&["plugin"]),
    value(&["plugin-opt"]),
    value(&["rpath"]),
    value(&["rpath-link"]),
    value(&["Map"]),
    value(&["sort-section"]),
    value(&["section-start"]),
    value(&["Ttext", "Tdata", "Tbss"]),
    value(&["Ttext-segment", "Trodata-segment", "Tldata-segment"]),
    value(&["hash-style"]),
    value(&["hash-size"]),
    value(&["image-base"]),
    value(&["thread-count"]),
    value(&["error-limit"]),
    value(&["error-handling-script"]),
    value(&["trace-symbol-file"]),
    value(&["oformat"]),
    value(&["orphan-handling"]),
    value(&["unresolved-symbols"]),
    value(&["spare-dynamic-tags"]),
    value(&["task-link"]),
    value(&["version-exports-section"]),
    value(&["ignore-unresolved-symbol"]),
    value(&["max-cache-size"]),
    value(&["ctf-share-types"]),
    value(&["assert"]),
    value(&["fuse-ld"]),
    value(&["flto-partition"]),
    value(&["compress-debug-sections"]),
    value(&["call-graph-ordering-file"]),
    value(&["symbol-ordering-file"]),
    value(&["print-symbol-order"]),
    value(&["print-archive-stats"]),
    value(&["why-extract"]),
    value(&["reproduce"]),
    value(&["rsp-quoting"]),
    value(&["mllvm"]),
    value(&["lto-aa-pipeline"]),
    value(&["lto-basic-block-sections"]),
    value(&["lto-cs-profile-file"]),
    value(&["lto-newpm-passes"]),
    value(&["lto-partitions"]),
    value(&["lto-sample-profile"]),
    opt(&["lto-O"], Takes::Joined, PassThrough),
    value(&["opt-remarks-filename"]),
    value(&["opt-remarks-format"]),
    value(&["opt-remarks-hotness-threshold"]),
    value(&["opt-remarks-passes"]),
    value(&["pack-dyn-relocs"]),
    optional(&["power10-stubs"]),
    value(&["split-stack-adjust-size"]),
    value(&["target2"]),
    value(&["thinlto-cache-dir"]),
    value(&["thinlto-cache-policy"]),
    value(&["thinlto-jobs"]),
    value(&["thinlto-single-module"]),
    value(&["time-trace-file"]),
    value(&["time-trace-granularity"]),
    value(&["warn-backrefs-exclude"]),
    value(&["chroot"]),
    value(&["run"]),
    // Passed through: a value only after `=`.
    optional(&["build-id"]),
    optional(&["package-metadata"]),
    optional(&["color-diagnostics"]),
    optional(&["demangle"]),
    optional(&["verbose"]),
    optional(&["unique"]),
    optional(&["sort-common"]),
    optional(&["split-by-file"]),
    optional(&["split-by-reloc"]),
    optional(&["threads"]),
    optional(&["shuffle-sections"]),
    // Passed through: flags.
    flag(&["d", "dc", "dp", "define-common"]),
    flag(&["EB"]),
    flag(&["EL"]),
    flag(&["g"]),
    flag(&["M", "print-map"]),
    flag(&["n", "nmagic"]),
    flag(&["N", "omagic"]),
    flag(&["q", "emit-relocs"]),
    flag(&["Qy"]),
    flag(&["s", "strip-all"]),
    flag(&["S", "strip-debug"]),
    flag(&["t", "trace"]),
    flag(&["Ur"]),
    flag(&["v", "version"]),
    flag(&["V"]),
    flag(&["x", "discard-all"]),
    flag(&["X", "discard-locals"]),
    flag(&["w", "no-warnings"]),
    flag(&["flto"]),
    flag(&["help"]),
    flag(&["target-help"]),
    flag(&["Bgroup"]),
    flag(&["Bsymbolic"]),
    flag(&["Bsymbolic-functions"]),
    flag(&["Bsymbolic-non-weak-functions"]),
    flag(&["Bno-symbolic"]),
    flag(&["dynamic-list-data"]),
    flag(&["dynamic-list-cpp-new"]),
    flag(&["dynamic-list-cpp-typeinfo"]),
    flag(&["no-dynamic-linker"]),
    flag(&["no-omagic"]),
    flag(&["no-nmagic"]),
    flag(&["discard-none"]),
    flag(&["force-group-allocation"]),
    flag(&["enable-non-contiguous-regions"]),
    flag(&["enable-non-contiguous-regions-warnings"]),
    flag(&["map-whole-files"]),
    flag(&["no-map-whole-files"]),
    flag(&["strip-discarded"]),
    flag(&["no-strip-discarded"]),
    flag(&["accept-unknown-input-arch"]),
    flag(&["no-accept-unknown-input-arch"]),
    flag(&["check-sections"]),
    flag(&["no-check-sections"]),
    flag(&["copy-dt-needed-entries"]),
    flag(&["no-copy-dt-needed-entries"]),
    flag(&["cref"]),
    flag(&["no-demangle"]),
    flag(&["disable-multiple-abs-defs"]),
    flag(&["embedded-relocs"]),
    flag(&["fatal-warnings"]),
    flag(&["no-fatal-warnings"]),
    flag(&["force-exe-suffix"]),
    flag(&["print-gc-sections"]),
    flag(&["no-print-gc-sections"]),
    flag(&["no-keep-memory"]),
    flag(&["no-undefined"]),
    flag(&["allow-shlib-undefined"]),
    flag(&["no-allow-shlib-undefined"]),
    flag(&["allow-multiple-definition"]),
    flag(&["no-allow-multiple-definition"]),
    flag(&["undefined-version"]),
    flag(&["no-undefined-version"]),
    flag(&["default-symver"]),
    flag(&["default-imported-symver"]),
    flag(&["no-warn-mismatch"]),
    flag(&["no-warn-search-mismatch"]),
    flag(&["noinhibit-exec"]),
    flag(&["print-output-format"]),
    flag(&["print-sysroot"]),
    flag(&["qmagic"]),
    flag(&["reduce-memory-overheads"]),
    flag(&["relax"]),
    flag(&["no-relax"]),
    flag(&["stats"]),
    flag(&["traditional-format"]),
    flag(&["warn-common"]),
    flag(&["no-warn-common"]),
    flag(&["warn-constructors"]),
    flag(&["warn-execstack"]),
    flag(&["no-warn-execstack"]),
    flag(&["warn-rwx-segments"]),
    flag(&["no-warn-rwx-segments"]),
    flag(&["warn-multiple-gp"]),
    flag(&["warn-once"]),
    flag(&["warn-section-align"]),
    flag(&["warn-textrel"]),
    flag(&["warn-shared-textrel"]),
    flag(&["warn-alternate-em"]),
    flag(&["warn-unresolved-symbols"]),
    flag(&["error-unresolved-symbols"]),
    flag(&["print-memory-usage"]),
    flag(&["print-map-discarded"]),
    flag(&["no-print-map-discarded"]),
    flag(&["ctf-variables"]),
    flag(&["no-ctf-variables"]),
    flag(&["ld-generated-unwind-info"]),
    flag(&["no-ld-generated-unwind-info"]),
    flag(&["disable-new-dtags"]),
    flag(&["enable-new-dtags"]),
    flag(&["eh-frame-hdr"]),
    flag(&["no-eh-frame-hdr"]),
    flag(&["apply-dynamic-relocs"]),
    flag(&["no-apply-dynamic-relocs"]),
    flag(&["call-graph-profile-sort"]),
    flag(&["no-call-graph-profile-sort"]),
    flag(&["no-color-diagnostics"]),
    flag(&["dependent-libraries"]),
    flag(&["no-dependent-libraries"]),
    flag(&["execute-only"]),
    flag(&["no-execute-only"]),
    flag(&["fix-cortex-a53-843419"]),
    flag(&["fix-cortex-a8"]),
    flag(&["fortran-common"]),
    flag(&["no-fortran-common"]),
    flag(&["gdb-index"]),
    flag(&["no-gdb-index"]),
    flag(&["gnu-unique"]),
    flag(&["no-gnu-unique"]),
    flag(&["ignore-data-address-equality"]),
    flag(&["ignore-function-address-equality"]),
    flag(&["lto-cs-profile-generate"]),
    flag(&["lto-debug-pass-manager"]),
    flag(&["lto-emit-asm"]),
    flag(&["lto-legacy-pass-manager"]),
    flag(&["no-lto-legacy-pass-manager"]),
    flag(&["lto-pgo-warn-mismatch"]),
    flag(&["no-lto-pgo-warn-mismatch"]),
    flag(&["lto-unique-basic-block-section-names"]),
    flag(&["no-lto-unique-basic-block-section-names"]),
    flag(&["lto-whole-program-visibility"]),
    flag(&["no-lto-whole-program-visibility"]),
    flag(&["merge-exidx-entries"]),
    flag(&["no-merge-exidx-entries"]),
    flag(&["mmap-output-file"]),
    flag(&["no-mmap-output-file"]),
    flag(&["optimize-bb-jumps"]),
    flag(&["no-optimize-bb-jumps"]),
    flag(&["pcrel-optimize"]),
    flag(&["no-pcrel-optimize"]),
    flag(&["no-power10-stubs"]),
    flag(&["print-icf-sections"]),
    flag(&["no-print-icf-sections"]),
    flag(&["rosegment"]),
    flag(&["no-rosegment"]),
    flag(&["toc-optimize"]),
    flag(&["no-toc-optimize"]),
    flag(&["use-android-relr-tags"]),
    flag(&["no-use-android-relr-tags"]),
    flag(&["warn-backrefs"]),
    flag(&["no-warn-backrefs"]),
    flag(&["warn-ifunc-textrel"]),
    flag(&["no-warn-ifunc-textrel"]),
    flag(&["warn-symbol-ordering"]),
    flag(&["no-warn-symbol-ordering"]),
    flag(&["opt-remarks-with-hotness"]),
    flag(&["pic-veneer"]),
    flag(&["save-temps"]),
    flag(&["target1-abs"]),
    flag(&["target1-rel"]),
    flag(&["time-trace"]),
    flag(&["vs-diagnostics"]),
    flag(&["no-build-id"]),
    flag(&["fork"]),
    flag(&["no-fork"]),
    flag(&["perf"]),
    flag(&["quick-exit"]),
    flag(&["no-quick-exit"]),
    flag(&["repro"]),
    flag(&["reverse-sections"]),
    flag(&["no-threads"]),
    // GNU ld's PE emulations (i386pep, i386pe) list these under `ld --help`.
    value(&["base_file"]),
    value(&["file-alignment"]),
    value(&["heap"]),
    value(&["major-image-version"]),
    value(&["major-os-version"]),
    value(&["major-subsystem-version"]),
    value(&["minor-image-version"]),
    value(&["minor-os-version"]),
    value(&["minor-subsystem-version"]),
    value(&["section-alignment"]),
    value(&["stack"]),
    value(&["subsystem"]),
    value(&["exclude-symbols"]),
    value(&["exclude-modules-for-implib"]),
    value(&["output-def"]),
    value(&["dll-search-prefix"]),
    value(&["thumb-entry"]),
    optional(&["enable-auto-image-base"]),
    flag(&["dll"]),
    flag(&["support-old-code"]),
    flag(&["leading-underscore", "no-leading-underscore"]),
    flag(&["insert-timestamp", "no-insert-timestamp"]),
    flag(&["add-stdcall-alias"]),
    flag(&["disable-stdcall-fixup", "enable-stdcall-fixup"]),
    flag(&["exclude-all-symbols", "export-all-symbols"]),
    flag(&["kill-at"]),
    flag(&["warn-duplicate-exports"]),
    flag(&["compat-implib"]),
    flag(&["disable-auto-image-base"]),
    flag(&["enable-auto-import", "disable-auto-import"]),
    flag(&[
        "enable-runtime-pseudo-reloc",
        "disable-runtime-pseudo-reloc",
    ]),
    flag(&["enable-extra-pep-debug", "enable-extra-pe-debug"]),
    flag(&["enable-long-section-names", "disable-long-section-names"]),
    flag(&["high-entropy-va", "disable-high-entropy-va"]),
    flag(&["dynamicbase", "disable-dynamicbase"]),
    flag(&["enable-reloc-section", "disable-reloc-section"]),
    flag(&["forceinteg", "disable-forceinteg"]),
    flag(&["nxcompat", "disable-nxcompat"]),
    flag(&["no-isolation", "disable-no-isolation"]),
    flag(&["no-seh", "disable-no-seh"]),
    flag(&["no-bind", "disable-no-bind"]),
    flag(&["wdmdriver", "disable-wdmdriver"]),
    flag(&["tsaware", "disable-tsaware"]),
    flag(&["large-address-aware", "disable-large-address-aware"]),
];

/// What a `-z` keyword means to tailor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZMeaning {
    PassThrough,
    /// `-z start-stop-gc` (true) / `-z nostart-stop-gc` (false).
    StartStopGc(bool),
}

/// `-z` keywords (GNU ld, lld and mold), each with whether it takes `=VALUE`.
pub(crate) static Z_KEYWORDS: &[(&str, bool, ZMeaning)] = &[
    ("start-stop-gc", false, ZMeaning::StartStopGc(true)),
    ("nostart-stop-gc", false, ZMeaning::StartStopGc(false)),
    ("call-nop", true, ZMeaning::PassThrough),
    ("cet-report", true, ZMeaning::PassThrough),
    ("combreloc", false, ZMeaning::PassThrough),
    ("common", false, ZMeaning::PassThrough),
    ("common-page-size", true, ZMeaning::PassThrough),
    ("defs", false, ZMeaning::PassThrough),
    ("dynamic-undefined-weak", false, ZMeaning::PassThrough),
    ("execstack", false, ZMeaning::PassThrough),
    ("execstack-if-needed", false, ZMeaning::PassThrough),
    ("global", false, ZMeaning::PassThrough),
    ("globalaudit", false, ZMeaning::PassThrough),
    ("ibt", false, ZMeaning::PassThrough),
    ("ibtplt", false, ZMeaning::PassThrough),
    ("indirect-extern-access", false, ZMeaning::PassThrough),
    ("initfirst", false, ZMeaning::PassThrough),
    ("interpose", false, ZMeaning::PassThrough),
    ("keep-text-section-prefix", false, ZMeaning::PassThrough),
    ("lam-report", true, ZMeaning::PassThrough),
    ("lam-u48", false, ZMeaning::PassThrough),
    ("lam-u48-report", true, ZMeaning::PassThrough),
    ("lam-u57", false, ZMeaning::PassThrough),
    ("lam-u57-report", true, ZMeaning::PassThrough),
    ("lazy", false, ZMeaning::PassThrough),
    ("loadfltr", false, ZMeaning::PassThrough),
    ("max-page-size", true, ZMeaning::PassThrough),
    ("muldefs", false, ZMeaning::PassThrough),
    ("nocombreloc", false, ZMeaning::PassThrough),
    ("nocommon", false, ZMeaning::PassThrough),
    ("nocopyreloc", false, ZMeaning::PassThrough),
    ("nodefaultlib", false, ZMeaning::PassThrough),
    ("nodefs", false, ZMeaning::PassThrough),
    ("nodelete", false, ZMeaning::PassThrough),
    ("nodlopen", false, ZMeaning::PassThrough),
    ("nodump", false, ZMeaning::PassThrough),
    ("nodynamic-undefined-weak", false, ZMeaning::PassThrough),
    ("noexecstack", false, ZMeaning::PassThrough),
    ("noextern-protected-data", false, ZMeaning::PassThrough),
    ("noindirect-extern-access", false, ZMeaning::PassThrough),
    ("nokeep-text-section-prefix", false, ZMeaning::PassThrough),
    ("nopack-relative-relocs", false, ZMeaning::PassThrough),
    ("noreloc-overflow", false, ZMeaning::PassThrough),
    ("norelro", false, ZMeaning::PassThrough),
    ("noseparate-code", false, ZMeaning::PassThrough),
    ("notext", false, ZMeaning::PassThrough),
    ("nounique", false, ZMeaning::PassThrough),
    ("nounique-symbol", false, ZMeaning::PassThrough),
    ("now", false, ZMeaning::PassThrough),
    ("origin", false, ZMeaning::PassThrough),
    ("pack-relative-relocs", false, ZMeaning::PassThrough),
    ("relro", false, ZMeaning::PassThrough),
    ("report-relative-reloc", false, ZMeaning::PassThrough),
    ("separate-code", false, ZMeaning::PassThrough),
    ("separate-loadable-segments", false, ZMeaning::PassThrough),
    ("shstk", false, ZMeaning::PassThrough),
    ("stack-size", true, ZMeaning::PassThrough),
    ("start-stop-visibility", true, ZMeaning::PassThrough),
    ("text", false, ZMeaning::PassThrough),
    ("textoff", false, ZMeaning::PassThrough),
    ("undefs", false, ZMeaning::PassThrough),
    ("unique", false, ZMeaning::PassThrough),
    ("unique-symbol", false, ZMeaning::PassThrough),
    ("x86-64-baseline", false, ZMeaning::PassThrough),
    ("x86-64-v2", false, ZMeaning::PassThrough),
    ("x86-64-v3", false, ZMeaning::PassThrough),
    ("x86-64-v4", false, ZMeaning::PassThrough),
];

/// Where an option's value was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// No value.
    Flag,
    /// The next argument.
    Separate,
    /// After the first `joined` bytes of the token (`-lc`, `--soname=x`, `--lto-O2`).
    Joined(usize),
    /// The value is missing: the option ends the arguments.
    Missing,
}

/// What one item of a linker's arguments is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// An input file.
    Input(&'a str),
    /// An option of the table, with its value.
    Option {
        option: &'static LinkerOption,
        value: Option<&'a str>,
        form: Form,
    },
    /// An option the table does not have: passed through as one argument.
    Unknown(&'a str),
}

/// One item: an input or an option with its value, at `start` for `len` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    pub start: usize,
    pub len: usize,
    pub kind: Kind<'a>,
}

impl<'a> Item<'a> {
    /// The table's meaning, for an option of the table.
    pub fn meaning(&self) -> Option<Meaning> {
        match self.kind {
            Kind::Option { option, .. } => Some(option.meaning),
            _ => None,
        }
    }

    /// The value, for an option of the table that has one.
    pub fn value(&self) -> Option<&'a str> {
        match self.kind {
            Kind::Option { value, .. } => value,
            _ => None,
        }
    }

    /// The item's arguments, rewritten to carry `value` instead of its own (same form).
    pub fn with_value(&self, tokens: &[String], value: &str) -> Vec<String> {
        let first = tokens[self.start].as_str();
        match self.kind {
            Kind::Option {
                form: Form::Separate,
                ..
            } => vec![first.to_string(), value.to_string()],
            Kind::Option {
                form: Form::Joined(n),
                ..
            } => vec![format!("{}{value}", &first[..n])],
            _ => tokens[self.start..self.start + self.len].to_vec(),
        }
    }

    /// The item as written (for messages).
    pub fn text(&self, tokens: &[String]) -> String {
        tokens[self.start..self.start + self.len].join(" ")
    }
}

struct Index {
    /// Every name, to its option.
    names: HashMap<&'static str, &'static LinkerOption>,
    /// Long names (two or more letters), sorted: the prefix test.
    long: Vec<&'static str>,
    /// Long names that take a glued value.
    joined: Vec<(&'static str, &'static LinkerOption)>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut names = HashMap::new();
        let mut long = Vec::new();
        let mut joined = Vec::new();
        for o in LINKER_OPTIONS {
            for &n in o.names {
                names.entry(n).or_insert(o);
                if n.len() > 1 {
                    long.push(n);
                }
                if o.takes == Takes::Joined {
                    joined.push((n, o));
                }
            }
        }
        long.sort_unstable();
        Index {
            names,
            long,
            joined,
        }
    })
}

/// The option a name (without dashes) names.
pub(crate) fn lookup(name: &str) -> Option<&'static LinkerOption> {
    index().names.get(name).copied()
}

/// Whether `body` is a proper prefix of a long name.
fn abbreviates_long(body: &str) -> bool {
    let long = &index().long;
    let at = long.partition_point(|n| *n < body);
    long.get(at)
        .is_some_and(|n| n.len() > body.len() && n.starts_with(body))
}

/// How one token starts an option: the option, and where its value is (`None`: the token
/// is an option the table does not have).
fn match_token(t: &str) -> Option<(&'static LinkerOption, Form)> {
    let (dashes, body) = match t.strip_prefix("--") {
        Some(b) => (2, b),
        None => (1, t.strip_prefix('-')?),
    };
    if dashes == 1 && body.starts_with('o') && body.len() > 1 {
        return lookup("o").map(|o| (o, Form::Joined(2)));
    }
    if let Some(o) = lookup(body) {
        if body.len() > 1 || dashes == 1 {
            let form = match o.takes {
                Takes::Value => Form::Separate,
                _ => Form::Flag,
            };
            return Some((o, form));
        }
    }
    if let Some((name, _)) = body.split_once('=') {
        if let Some(o) = lookup(name).filter(|o| name.len() > 1 && o.takes != Takes::Nothing) {
            return Some((o, Form::Joined(dashes + name.len() + 1)));
        }
    }
    if let Some((n, o)) = index()
        .joined
        .iter()
        .find(|(n, _)| body.len() > n.len() && body.starts_with(n))
    {
        return Some((o, Form::Joined(dashes + n.len())));
    }
    let short = body.get(..1)?;
    let o = lookup(short).filter(|o| dashes == 1 && o.takes == Takes::Value)?;
    let exempt = matches!(short, "l" | "L");
    (exempt || !abbreviates_long(body)).then_some((o, Form::Joined(2)))
}

/// Splits a linker's arguments (the program not included) into inputs and options with
/// their values, in order.
pub(crate) fn items(tokens: &[String]) -> Vec<Item<'_>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        let start = i;
        i += 1;
        if !t.starts_with('-') || t == "-" {
            out.push(Item {
                start,
                len: 1,
                kind: Kind::Input(t),
            });
            continue;
        }
        let kind = match match_token(t) {
            None => Kind::Unknown(t),
            Some((option, Form::Separate)) => match tokens.get(i) {
                Some(v) => {
                    i += 1;
                    Kind::Option {
                        option,
                        value: Some(v.as_str()),
                        form: Form::Separate,
                    }
                }
                None => Kind::Option {
                    option,
                    value: None,
                    form: Form::Missing,
                },
            },
            Some((option, Form::Joined(n))) => Kind::Option {
                option,
                value: t.get(n..),
                form: Form::Joined(n),
            },
            Some((option, form)) => Kind::Option {
                option,
                value: None,
                form,
            },
        };
        out.push(Item {
            start,
            len: i - start,
            kind,
        });
    }
    out
}

/// Whether a linker reads `token` as a linker script option (`-Tx.ld`, `--script=x`).
pub(crate) fn is_script(token: &str) -> bool {
    match_token(token).is_some_and(|(o, _)| o.meaning == Meaning::Script)
}

/// What a `-z` value means.
pub(crate) fn z_meaning(value: &str) -> ZMeaning {
    let keyword = value.split('=').next().unwrap_or(value);
    Z_KEYWORDS
        .iter()
        .find(|(k, _, _)| *k == keyword)
        .map_or(ZMeaning::PassThrough, |(_, _, m)| *m)
}

#[cfg(test)]
mod tests;
