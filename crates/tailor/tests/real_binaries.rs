//! `tailor needs` on real ELF files of this machine (executables, PIEs, libraries) gives exactly
//! what `nm -D --undefined-only` plus `readelf -rW`'s COPY relocations give.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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

/// `--demangle` spells C++ names as `nm -C` does (libiberty's demangler, which GNU ld matches
/// `extern "C++"` patterns against): every export of the system's libstdc++, in text, and the
/// JSON report carries both spellings.
#[test]
fn demangled_exports_equal_nm_c_on_libstdcxx() {
    let lib = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
    assert!(Path::new(lib).exists(), "{lib} missing: install libstdc++6");
    let ours: BTreeSet<String> = tailor_ok(&["exports", "--demangle", lib])
        .lines()
        .filter(|l| !l.starts_with("total:"))
        .map(|l| {
            // NAME[@VER] KIND BIND SIZE: the name may hold spaces; the last three fields don't.
            let name = l.rsplitn(4, ' ').nth(3).expect("exports line");
            name.split('@').next().unwrap().to_string()
        })
        .collect();
    let nm = tool_stdout("nm", "binutils", &["-DC", "--defined-only", lib]);
    let theirs: BTreeSet<String> = nm
        .lines()
        .filter(|l| l.split(' ').nth(1) != Some("A")) // version definitions
        .map(|l| {
            l.splitn(3, ' ')
                .nth(2)
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(theirs.len() > 1000, "nm listed {} names", theirs.len());
    let only_ours: Vec<_> = ours.difference(&theirs).take(5).collect();
    let only_nm: Vec<_> = theirs.difference(&ours).take(5).collect();
    assert!(
        only_ours.is_empty() && only_nm.is_empty(),
        "tailor's demangling differs from nm -DC: ours {only_ours:?}, nm's {only_nm:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&tailor_ok(&["exports", "-C", "--format", "json", lib])).unwrap();
    let first = json[0]["exports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str().unwrap().starts_with("_Z"))
        .expect("a mangled export");
    assert!(first["demangled"]
        .as_str()
        .is_some_and(|d| !d.starts_with("_Z")));
}
