//! Unit tests of [`super::linker_args`]: a linker command line read as GNU ld reads it —
//! inputs in order with their `--whole-archive`, `--as-needed`, `-Bstatic` and group state,
//! option values in every spelling, and `-l` searched in the `-L` directories.

use std::path::PathBuf;

use super::link_command::Linker;
use super::linker_args::{InputName, LinkerArgs, LinkerInput};

fn parse(line: &str) -> LinkerArgs {
    let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    LinkerArgs::parse(&words, Some(Linker::Bfd)).expect("parsing")
}

fn path(p: &str) -> InputName {
    InputName::Path(PathBuf::from(p))
}

fn lib(name: &str, exact: bool) -> InputName {
    InputName::Library {
        name: name.into(),
        exact,
    }
}

/// An input with its state: (whole archive, as needed, static only, group).
fn input(item: InputName, state: (bool, bool, bool, u32)) -> LinkerInput {
    LinkerInput {
        item,
        whole_archive: state.0,
        as_needed: state.1,
        static_only: state.2,
        group: state.3,
    }
}

#[test]
fn inputs_keep_their_order_and_the_state_in_force() {
    let a = parse(
        "ld -o out a.o -lfoo --whole-archive b.a --no-whole-archive --as-needed -l bar \
         --no-as-needed -Bstatic -lbaz -Bdynamic -l:exact.a --start-group c.a -lg --end-group \
         -( e.a -) f.o",
    );
    let plain = (false, false, false, 0);
    assert_eq!(
        a.inputs,
        [
            input(path("a.o"), plain),
            input(lib("foo", false), plain),
            input(path("b.a"), (true, false, false, 0)),
            input(lib("bar", false), (false, true, false, 0)),
            input(lib("baz", false), (false, false, true, 0)),
            input(lib("exact.a", true), plain),
            input(path("c.a"), (false, false, false, 1)),
            input(lib("g", false), (false, false, false, 1)),
            input(path("e.a"), (false, false, false, 2)),
            input(path("f.o"), plain),
        ]
    );
    assert_eq!(a.output, Some(PathBuf::from("out")));
}

#[test]
fn option_values_in_every_spelling_are_not_inputs() {
    let a = parse(
        "ld -e main -u one --undefined=two --require-defined three -uf -shared -E --gc-sections \
         -z start-stop-gc --version-script v.map --dynamic-list=d.list -T t.ld -Tother.ld \
         -init myinit -fini=myfini --exclude-libs=liba.a:libb.a -m elf_x86_64 --defsym=foo=bar \
         -soname libx.so -rpath /opt -L dir -Lother x.o",
    );
    assert_eq!(a.inputs, [input(path("x.o"), (false, false, false, 0))]);
    assert_eq!(a.entry.as_deref(), Some("main"));
    assert_eq!(a.undefined, ["one", "two", "three", "f"]);
    assert!(a.shared && a.export_dynamic && a.gc_sections);
    assert_eq!(a.start_stop_gc, Some(true));
    assert_eq!(a.version_scripts, [PathBuf::from("v.map")]);
    assert_eq!(a.dynamic_lists, [PathBuf::from("d.list")]);
    assert_eq!(
        a.scripts,
        [PathBuf::from("t.ld"), PathBuf::from("other.ld")]
    );
    assert_eq!(a.init.as_deref(), Some("myinit"));
    assert_eq!(a.fini.as_deref(), Some("myfini"));
    assert_eq!(a.exclude_libs, ["liba.a", "libb.a"]);
    assert_eq!(a.emulation.as_deref(), Some("elf_x86_64"));
    assert_eq!(a.defsyms, ["foo"]);
    assert_eq!(
        a.library_paths,
        [PathBuf::from("dir"), PathBuf::from("other")]
    );
}

#[test]
fn later_options_override_earlier_ones() {
    let a = parse("ld --gc-sections --no-gc-sections -E --no-export-dynamic -z start-stop-gc -z nostart-stop-gc --entry=a -eb x.o");
    assert!(!a.gc_sections && !a.export_dynamic);
    assert_eq!(a.start_stop_gc, Some(false));
    assert_eq!(a.entry.as_deref(), Some("b"));
}

#[test]
fn a_relocatable_link_and_a_missing_value_are_errors() {
    let words = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let e = LinkerArgs::parse(&words("ld -r a.o -o b.o"), None).unwrap_err();
    assert!(e.to_string().contains("relocatable"), "{e}");
    let e = LinkerArgs::parse(&words("ld a.o -o"), None).unwrap_err();
    assert!(e.to_string().contains("`-o` needs a value"), "{e}");
}

#[test]
fn libraries_are_found_in_l_order_shared_before_static_unless_bstatic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    for (d, files) in [
        (&first, &["libonly_a.a"][..]),
        (&second, &["libonly_a.so", "libboth.so", "libboth.a"][..]),
    ] {
        std::fs::create_dir(d).expect("mkdir");
        for f in files {
            std::fs::write(d.join(f), b"").expect("write");
        }
    }
    let a = parse("ld -Lfirst -Lsecond -lboth -lonly_a -Bstatic -lboth -l:libboth.so");
    let found: Vec<PathBuf> = a
        .inputs
        .iter()
        .map(|i| a.find_library(i, &[], dir.path()).expect("found").1)
        .collect();
    assert_eq!(
        found,
        [
            "second/libboth.so",
            // The first directory with either form wins: ld looks for both in each directory.
            "first/libonly_a.a",
            "second/libboth.a",
            "second/libboth.so",
        ]
        .map(PathBuf::from)
    );
    let missing = parse("ld -Bstatic -lonly_so_nowhere");
    assert!(missing
        .find_library(&missing.inputs[0], &[], dir.path())
        .is_none());
}
