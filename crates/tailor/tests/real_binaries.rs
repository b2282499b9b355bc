//! `tailor needs` on real ELF files of this machine (executables, PIEs, libraries) gives exactly
//! what `nm -D --undefined-only` plus `readelf -rW`'s COPY relocations give.

mod common;

use std::path::PathBuf;

use common::*;

/// Every n-th ELF file (executables and libraries) of the usual system directories, so the
/// sample spans many packages, and a few known copy-relocating programs.
fn sample() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "/usr/bin",
        "/usr/sbin",
        "/usr/lib/x86_64-linux-gnu",
        "/lib/x86_64-linux-gnu",
    ] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        let elf: Vec<PathBuf> = v
            .into_iter()
            .filter(|p| p.is_file())
            .filter(|p| {
                std::fs::read(p)
                    .map(|b| b.starts_with(b"\x7fELF") && b.len() > 64)
                    .unwrap_or(false)
            })
            .collect();
        let step = (elf.len() / 40).max(1);
        files.extend(elf.into_iter().step_by(step));
    }
    // tailor reads a file once, under the first name met (gcc-nm-12 and
    // x86_64-linux-gnu-gcc-nm-12 are one file): sample distinct files.
    use std::os::unix::fs::MetadataExt;
    files.sort();
    let mut seen = std::collections::HashSet::new();
    files.retain(|p| {
        let m = std::fs::metadata(p).expect("metadata");
        seen.insert((m.dev(), m.ino()))
    });
    files
}

#[test]
fn needs_match_nm_and_readelf_on_system_binaries() {
    let files = sample();
    assert!(
        files.len() >= 40,
        "too few ELF files found: {}",
        files.len()
    );
    let mut args = vec!["needs", "--format", "json"];
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let json: serde_json::Value = serde_json::from_str(&tailor_ok(&args)).expect("json");
    let (per, copies) = needs_by_consumer(&json);

    let mut all_copies = SymSet::new();
    let mut compared = 0;
    let mut with_copies = 0;
    for name in &names {
        let nm = tool_stdout("nm", "binutils", &["-D", "--undefined-only", name]);
        let readelf = tool_stdout("readelf", "binutils", &["-rW", name]);
        let file_copies = parse_readelf_copies(&readelf);
        if !file_copies.is_empty() {
            with_copies += 1;
        }
        let mut expected = parse_nm_undefined(&nm);
        expected.extend(file_copies.iter().cloned());
        all_copies.extend(file_copies);
        let got = per.get(name).cloned().unwrap_or_default();
        let missing: Vec<_> = expected.difference(&got).collect();
        let extra: Vec<_> = got.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: tailor misses {missing:?}, adds {extra:?}"
        );
        compared += 1;
    }
    assert_eq!(
        copies, all_copies,
        "copy-relocated symbols differ from readelf's"
    );
    assert!(
        with_copies > 0,
        "the sample has no COPY relocation: widen it"
    );
    assert_eq!(
        json["summary"]["elf_files"].as_u64(),
        Some(files.len() as u64)
    );
    eprintln!("compared {compared} files ({with_copies} with COPY relocations)");
}
