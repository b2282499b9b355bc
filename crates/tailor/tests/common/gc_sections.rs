//! Removed-section sets: the linkers' `--print-gc-sections` lines and `tailor gc`'s JSON
//! report read into one form, and compared.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// (file as the linker names it, section).
pub type Removed = BTreeSet<(String, String)>;

/// Runs a link in `dir` with `print_flag` added (`--print-gc-sections` for a linker,
/// `-Wl,--print-gc-sections` for a compiler driver) and reads what the linker removed.
pub fn linker_removed(dir: &Path, argv: &[String], print_flag: &str) -> Removed {
    let out = super::run(
        Command::new(&argv[0])
            .args(&argv[1..])
            .arg(print_flag)
            .current_dir(dir),
    );
    parse_print_gc_sections(&format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Parses GNU ld's `removing unused section 'S' in file 'F'` and lld's and mold's
/// `removing unused section F:(S)`.
pub fn parse_print_gc_sections(text: &str) -> Removed {
    let mut set = Removed::new();
    for line in text.lines() {
        if let Some(rest) = line.split("removing unused section '").nth(1) {
            let (section, file) = rest
                .split_once("' in file '")
                .unwrap_or_else(|| panic!("unparsed GNU ld line: {line}"));
            set.insert((file.trim_end_matches('\'').to_string(), section.to_string()));
        } else if let Some(rest) = line.strip_prefix("removing unused section ") {
            let (file, section) = rest
                .rsplit_once(":(")
                .unwrap_or_else(|| panic!("unparsed lld/mold line: {line}"));
            set.insert((file.to_string(), section.trim_end_matches(')').to_string()));
        }
    }
    set
}

/// `tailor gc --format json ARGS -- ARGV` in `dir`, asserting success: the report.
pub fn tailor_gc(dir: &Path, args: &[&str], argv: &[String]) -> serde_json::Value {
    let out = super::tailor()
        .arg("gc")
        .args(["--format", "json"])
        .args(args)
        .arg("--")
        .args(argv)
        .current_dir(dir)
        .output()
        .expect("running tailor gc");
    assert!(
        out.status.success(),
        "tailor gc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("gc JSON")
}

/// The `removed` rows of `tailor gc --format json`.
pub fn predicted_removed(report: &serde_json::Value) -> Removed {
    report["removed"]
        .as_array()
        .expect("removed array")
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["section"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Fails with both differences when tailor's prediction is not the linker's removed set.
pub fn assert_same(what: &str, predicted: &Removed, actual: &Removed) {
    let only_p: Vec<_> = predicted.difference(actual).take(10).collect();
    let only_a: Vec<_> = actual.difference(predicted).take(10).collect();
    assert!(
        only_p.is_empty() && only_a.is_empty(),
        "{what}: tailor predicted {} removed sections, the linker removed {}.\n\
         predicted only: {only_p:?}\nlinker only: {only_a:?}",
        predicted.len(),
        actual.len()
    );
    eprintln!("{what}: {} removed sections, identical", actual.len());
}
