//! The links of tailor-core's GC unit tests (`analysis/gc_tests.rs`), written to disk and
//! linked with `--gc-sections --print-gc-sections` by GNU ld, lld and mold: `tailor gc`'s
//! removed set for the same command must be each linker's own. The unit tests state what
//! each linker keeps from first principles; these check those rules against the linkers.

mod common;

#[allow(dead_code)]
#[path = "../../tailor-core/src/analysis/test_links.rs"]
mod test_links;

use common::gc_sections::{assert_same, linker_removed, predicted_removed, tailor_gc, Removed};
use common::*;
use test_links::*;

/// How to ask for the removed sections (the links run the linker itself).
const PRINT: &str = "--print-gc-sections";

const ALL: [&str; 3] = ["ld", "ld.lld", "mold"];

/// Writes `files` to a temporary directory and links them with each of `linkers` as
/// `LINKER --gc-sections ARGS -o out`; tailor's prediction must be the linker's removed set
/// (every linker is run before a difference fails the test). Returns each linker's set.
fn check(case: &str, files: &[(&str, Vec<u8>)], args: &[&str], linkers: &[&str]) -> Vec<Removed> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("writing an input");
    }
    let runs: Vec<(String, Removed, Removed)> = linkers
        .iter()
        .map(|linker| {
            need_tool(linker, package(linker));
            let mut argv: Vec<String> = vec![linker.to_string(), "--gc-sections".into()];
            argv.extend(args.iter().map(|a| a.to_string()));
            argv.extend(["-o".into(), "out".into()]);
            let actual = linker_removed(dir.path(), &argv, PRINT);
            let predicted = predicted_removed(&tailor_gc(dir.path(), &[], &argv));
            (format!("{case}, {linker}"), predicted, actual)
        })
        .collect();
    let failed: Vec<String> = runs
        .iter()
        .filter_map(|(what, predicted, actual)| {
            std::panic::catch_unwind(|| assert_same(what, predicted, actual))
                .err()
                .map(|_| what.clone())
        })
        .collect();
    assert!(
        failed.is_empty(),
        "tailor and the linker differ: {failed:?}"
    );
    runs.into_iter().map(|(_, _, actual)| actual).collect()
}

fn package(linker: &str) -> &str {
    match linker {
        "ld" => "binutils",
        "ld.lld" => "lld",
        other => other,
    }
}

/// The one thing a check must show to mean anything: the linker removed something.
fn removes_something(sets: &[Removed]) {
    assert!(
        sets.iter().all(|s| !s.is_empty()),
        "nothing removed: {sets:?}"
    );
}

#[test]
fn entry_and_dash_u_roots() {
    let files = [("a.o", entry_object().bytes())];
    removes_something(&check(
        "-e, -u",
        &files,
        &["-e", "_start", "-u", "kept_by_u", "a.o"],
        &ALL,
    ));
    removes_something(&check("-e unused", &files, &["-e", "unused", "a.o"], &ALL));
}

#[test]
fn relocation_edges_and_weak_definitions() {
    let (a, b) = edge_objects();
    let files = [("a.o", a.bytes()), ("b.o", b.bytes())];
    removes_something(&check("edges", &files, &["a.o", "b.o"], &ALL));
    let (a, b) = weak_objects();
    let files = [("a.o", a.bytes()), ("b.o", b.bytes())];
    removes_something(&check("weak", &files, &["a.o", "b.o"], &ALL));
}

#[test]
fn comdat_groups() {
    check(
        "comdat kept",
        &[("a.o", comdat_kept_object().bytes())],
        &["a.o"],
        &ALL,
    );
    let dead = [("a.o", comdat_dead_object().bytes())];
    removes_something(&check("comdat dead", &dead, &["a.o"], &ALL));
    let dup = [
        ("a.o", comdat_object(Some("_start")).bytes()),
        ("b.o", comdat_object(Some("b_user")).bytes()),
    ];
    check(
        "comdat duplicate",
        &dup,
        &["-u", "b_user", "a.o", "b.o"],
        &ALL,
    );
}

#[test]
fn archive_member_extraction() {
    let files = [
        ("main.o", caller_of("f2", false).bytes()),
        ("weak.o", caller_of("f1", true).bytes()),
        ("lib.a", library()),
    ];
    check("archive", &files, &["main.o", "lib.a"], &ALL);
    check("weak reference", &files, &["weak.o", "lib.a"], &ALL);
    let whole = check(
        "whole archive",
        &files,
        &["main.o", "--whole-archive", "lib.a", "--no-whole-archive"],
        &ALL,
    );
    removes_something(&whole);
}

#[test]
fn eh_frame_lsdas_and_personalities() {
    for pers_for_start in [true, false] {
        let files = [("a.o", eh_object(pers_for_start).bytes())];
        let case = format!("eh_frame, _start has a personality: {pers_for_start}");
        removes_something(&check(&case, &files, &["a.o"], &ALL));
    }
}

#[test]
fn start_stop_sections() {
    let (a, b) = start_stop_objects();
    let files = [("a.o", a.bytes()), ("b.o", b.bytes())];
    removes_something(&check("__start_", &files, &["a.o", "b.o"], &ALL));
    // mold 1.10 has no -z start-stop-gc; lld's default is -z start-stop-gc.
    for z in ["start-stop-gc", "nostart-stop-gc"] {
        let gc = check(
            &format!("-z {z}"),
            &files,
            &["-z", z, "a.o", "b.o"],
            &["ld", "ld.lld"],
        );
        removes_something(&gc);
    }
    let files = [("a.o", libc_section_object().bytes())];
    check("__libc_ sections", &files, &["a.o"], &ALL);
}

#[test]
fn keep_in_a_linker_script() {
    let dir_files = [
        ("a.o", keep_object().bytes()),
        ("keep.ld", KEEP_SCRIPT.as_bytes().to_vec()),
    ];
    // mold reads no SECTIONS command.
    removes_something(&check(
        "KEEP",
        &dir_files,
        &["-T", "keep.ld", "a.o"],
        &["ld", "ld.lld"],
    ));
}

#[test]
fn init_fini_arrays() {
    check(
        "init arrays",
        &[("a.o", init_object().bytes())],
        &["a.o"],
        &ALL,
    );
}

#[test]
fn gnu_retain_notes_link_order_and_debug_sections() {
    for gnu in [true, false] {
        let files = [("a.o", retain_object(gnu).bytes())];
        check(
            &format!("SHF_GNU_RETAIN, ELFOSABI_GNU {gnu}"),
            &files,
            &["a.o"],
            &ALL,
        );
    }
    let files = [("a.o", link_order_object().bytes())];
    removes_something(&check("SHF_LINK_ORDER", &files, &["a.o"], &ALL));
    let files = [("a.o", debug_object().bytes())];
    removes_something(&check(".debug_info", &files, &["a.o"], &ALL));
}

#[test]
fn export_roots() {
    let files = [
        ("a.o", export_object().bytes()),
        ("v.map", b"V1 { global: api; local: *; };".to_vec()),
    ];
    for (case, args) in [
        ("executable", &["a.o"][..]),
        ("--export-dynamic", &["--export-dynamic", "a.o"]),
        ("-shared", &["-shared", "a.o"]),
        (
            "version script",
            &["-shared", "--version-script", "v.map", "a.o"],
        ),
    ] {
        removes_something(&check(case, &files, args, &ALL));
    }
}
