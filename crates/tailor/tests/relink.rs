//! The version script tailor writes for a real program links with GNU ld, lld and mold: the
//! re-linked library exports exactly the planned set (per `nm -D --defined-only`), drops the
//! rest under `--gc-sections`, and the program still runs with identical output.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;

fn run_prog(dir: &Path, libdir: &Path) -> String {
    let out = run(Command::new(dir.join("prog")).env("LD_LIBRARY_PATH", libdir));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names listed in a version script's `global:` parts (comments stripped).
fn script_names(script: &str) -> BTreeSet<String> {
    let mut text = String::new();
    let mut rest = script;
    while let Some(i) = rest.find("/*") {
        text.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    text.push_str(rest);
    let mut names = BTreeSet::new();
    let mut global = false;
    for tok in text.split(|c: char| c.is_whitespace() || c == ';') {
        match tok {
            "global:" => global = true,
            t if t.starts_with('}') => global = false,
            "local:" => global = false,
            t if global && !t.is_empty() && !t.contains(['{', '}']) => {
                names.insert(t.trim_matches('"').to_string());
            }
            _ => {}
        }
    }
    names
}

#[test]
fn tailored_library_links_with_bfd_lld_and_mold_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::libfix::build_fixture(d, &[]);
    let generic_out = run_prog(d, d);

    let script = tailor_ok(
        &["version-script", "--provider", "libfix.so", "prog"]
            .map(|a| {
                if a.ends_with(".so") || a == "prog" {
                    d.join(a).display().to_string()
                } else {
                    a.to_string()
                }
            })
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    std::fs::write(d.join("tailored.map"), &script).unwrap();
    assert!(
        script.contains("/* by name:"),
        "dlsym string not found:\n{script}"
    );

    // The expectation, from binutils alone: what prog imports that libfix exports, plus the
    // name prog passes to dlsym.
    let imports: BTreeSet<String> = parse_nm_undefined(&tool_stdout(
        "nm",
        "binutils",
        &[
            "-D",
            "--undefined-only",
            &d.join("prog").display().to_string(),
        ],
    ))
    .into_iter()
    .map(|s| s.0)
    .chain(
        parse_readelf_copies(&tool_stdout(
            "readelf",
            "binutils",
            &["-rW", &d.join("prog").display().to_string()],
        ))
        .into_iter()
        .map(|s| s.0),
    )
    .collect();
    let generic: BTreeSet<String> = parse_nm_defined(&tool_stdout(
        "nm",
        "binutils",
        &[
            "-D",
            "--defined-only",
            &d.join("libfix.so").display().to_string(),
        ],
    ));
    let mut expected: BTreeSet<String> = imports.intersection(&generic).cloned().collect();
    expected.insert("fix_byname".into());
    assert_eq!(script_names(&script), expected, "planned set:\n{script}");
    assert!(!expected.contains("fix_unused"));

    let generic_size = std::fs::metadata(d.join("libfix.so")).unwrap().len();
    for (linker, tool, package) in [
        ("bfd", "ld.bfd", "binutils"),
        ("lld", "ld.lld", "lld"),
        ("mold", "mold", "mold"),
    ] {
        need_tool(tool, package);
        let libdir = d.join(linker);
        std::fs::create_dir_all(&libdir).unwrap();
        let lib = libdir.join("libfix.so");
        gcc(
            d,
            &[
                &format!("-fuse-ld={linker}"),
                "-shared",
                "-o",
                &lib.display().to_string(),
                "libfix.o",
                "-Wl,--version-script=tailored.map",
                "-Wl,--gc-sections",
                "-Wl,-soname,libfix.so",
            ],
        );
        let exported = parse_nm_defined(&tool_stdout(
            "nm",
            "binutils",
            &["-D", "--defined-only", &lib.display().to_string()],
        ));
        assert_eq!(exported, expected, "{linker}: exported set");
        let versions = tool_stdout(
            "nm",
            "binutils",
            &["-D", "--defined-only", &lib.display().to_string()],
        );
        assert!(
            versions.contains("fix_versioned@@V2") && versions.contains("fix_versioned@V1"),
            "{linker}: versions lost:\n{versions}"
        );
        assert_eq!(
            run_prog(d, &libdir),
            generic_out,
            "{linker}: program output"
        );
        let size = std::fs::metadata(&lib).unwrap().len();
        assert!(
            size < generic_size,
            "{linker}: tailored {size} >= generic {generic_size}"
        );
        eprintln!("{linker}: {size} bytes (generic {generic_size})");
    }
}

#[test]
fn version_script_is_deterministic_atomic_and_has_a_depfile() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::libfix::build_fixture(d, &[]);
    let p = |n: &str| d.join(n).display().to_string();
    let args = [
        "version-script",
        "--provider",
        &p("libfix.so"),
        &p("prog"),
        "-o",
        &p("out.map"),
        "--depfile",
        &p("out.d"),
    ];
    tailor_ok(&args);
    let first = std::fs::read(d.join("out.map")).unwrap();
    let mtime = std::fs::metadata(d.join("out.map"))
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let out = tailor().args(args).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unchanged"),
        "{out:?}"
    );
    assert_eq!(std::fs::read(d.join("out.map")).unwrap(), first);
    assert_eq!(
        std::fs::metadata(d.join("out.map"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
    let dep = std::fs::read_to_string(d.join("out.d")).unwrap();
    assert!(dep.starts_with(&format!("{}:", p("out.map"))), "{dep}");
    assert!(
        dep.contains(&p("prog")) && dep.contains(&p("libfix.so")),
        "{dep}"
    );
    // Same set, no grouping: same names, one list.
    let flat = tailor_ok(&[
        "version-script",
        "--provider",
        &p("libfix.so"),
        &p("prog"),
        "--group-by",
        "none",
    ]);
    assert!(!flat.contains("/*-------"));
    assert_eq!(
        script_names(&flat),
        script_names(&String::from_utf8_lossy(&first))
    );
    // --no-by-name drops the dlsym candidate; --keep adds a hand-picked one.
    std::fs::write(d.join("keep.txt"), "# hand-picked\nfix_unused\n").unwrap();
    let kept = tailor_ok(&[
        "version-script",
        "--provider",
        &p("libfix.so"),
        &p("prog"),
        "--no-by-name",
        "--keep",
        &p("keep.txt"),
    ]);
    let names = script_names(&kept);
    assert!(
        names.contains("fix_unused") && !names.contains("fix_byname"),
        "{kept}"
    );
    assert!(
        tmp_files(d).is_empty(),
        "temporary files left: {:?}",
        tmp_files(d)
    );
}

fn tmp_files(d: &Path) -> Vec<String> {
    std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tailor-"))
        .collect()
}
