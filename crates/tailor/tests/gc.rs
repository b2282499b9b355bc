//! `tailor gc`, `why` and `top` against the linkers themselves: the removed set predicted
//! from the link command equals each linker's own `--print-gc-sections` (GNU ld's, lld's
//! and mold's formats parsed) on musl's libc.so (generic, and tailored to hello and to lua)
//! and on lua's own objects linked as a dynamic and a static executable; the predicted kept
//! sizes match the linked output's sections within alignment padding; chains and retained
//! sizes are checked against nm and against a re-prediction without the export.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::e2e::{e2e, E2e};
use common::gc_sections::{assert_same, linker_removed, predicted_removed, tailor_gc};
use common::*;

/// How to ask for the removed sections (the links run through the compiler driver).
const PRINT: &str = "-Wl,--print-gc-sections";

fn need_linkers() {
    need_tool("ld", "binutils");
    need_tool("ld.lld", "lld");
    need_tool("mold", "mold");
}

fn fuse(linker: &str) -> Vec<String> {
    if linker == "bfd" {
        vec![]
    } else {
        vec![format!("-fuse-ld={linker}")]
    }
}

fn musl_link(e: &E2e, linker: &str, out: &Path, extra: &[String]) -> Vec<String> {
    let mut v = vec![
        e.get("LINK_CC").to_string(),
        format!("@{}", e.get("LINK_RSP")),
    ];
    v.extend(fuse(linker));
    v.extend(extra.iter().cloned());
    v.push("-o".into());
    v.push(out.display().to_string());
    v
}

/// The version script tailor plans for `consumers` against the generic libc.
fn plan_script(e: &E2e, dir: &Path, name: &str, consumers: &[PathBuf]) -> PathBuf {
    let path = dir.join(format!("{name}.map"));
    let mut args: Vec<String> = vec!["version-script".into()];
    args.extend(consumers.iter().map(|p| p.display().to_string()));
    args.extend(["--provider".into(), e.get("LIBC").into(), "-o".into()]);
    args.push(path.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tailor_ok(&args);
    path
}

#[test]
fn musl_removed_sections_match_gnu_ld_lld_and_mold() {
    need_linkers();
    let e = e2e();
    let tmp = tempfile::tempdir().unwrap();
    let musl = e.path("MUSL_DIR");
    let hello = plan_script(&e, tmp.path(), "hello", &[e.path("HELLO")]);
    let lua = plan_script(&e, tmp.path(), "lua", &[e.path("LUA")]);
    let out = tmp.path().join("libc.so");
    for linker in ["bfd", "lld", "mold"] {
        // musl's full dynamic.list (the generic link), then each tailored version script.
        for (case, script) in [
            ("generic", None),
            ("hello", Some(&hello)),
            ("lua", Some(&lua)),
        ] {
            let extra: Vec<String> = script
                .map(|s| vec![format!("-Wl,--version-script={}", s.display())])
                .unwrap_or_default();
            let argv = musl_link(&e, linker, &out, &extra);
            let actual = linker_removed(&musl, &argv, PRINT);
            // The command is given without the script: `--version-script` supplies it.
            let base = musl_link(&e, linker, &out, &[]);
            let mut args = vec!["--no-by-name"];
            let s;
            if let Some(p) = script {
                s = p.display().to_string();
                args.extend(["--version-script", &s]);
            }
            let report = tailor_gc(&musl, &args, &base);
            assert_same(
                &format!("musl libc.so, {case}, {linker}"),
                &predicted_removed(&report),
                &actual,
            );
        }
    }
}

/// gcc linking lua's objects into `out` with `flags`, sections collected.
fn lua_link(flags: &[&str], out: &str) -> Vec<String> {
    let mut argv: Vec<String> = vec!["gcc".into()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    argv.extend(
        ["lua.o", "liblua.a", "-lm", "-Wl,--gc-sections", "-o", out]
            .iter()
            .map(|s| s.to_string()),
    );
    argv
}

#[test]
fn lua_executables_removed_sections_match_every_linker() {
    need_linkers();
    let e = e2e();
    let objs = e.path("LUA_OBJ");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lua").display().to_string();
    for linker in ["bfd", "lld", "mold"] {
        for (case, flags) in [
            ("dynamic", &["-Wl,-E", "-ldl"][..]),
            ("static", &["-static"][..]),
        ] {
            let mut argv = lua_link(flags, &out);
            argv.extend(fuse(linker));
            let actual = linker_removed(&objs, &argv, PRINT);
            let report = tailor_gc(&objs, &[], &argv);
            assert_same(
                &format!("lua {case}, {linker}"),
                &predicted_removed(&report),
                &actual,
            );
        }
    }
}

/// Section sizes of an ELF file, by name (readelf -SW).
fn section_sizes(path: &Path) -> BTreeMap<String, u64> {
    let text = tool_stdout("readelf", "binutils", &["-SW", &path.display().to_string()]);
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix('[') else {
            continue;
        };
        let Some((_, fields)) = rest.split_once(']') else {
            continue;
        };
        let f: Vec<&str> = fields.split_whitespace().collect();
        if f.len() >= 5 {
            if let Ok(size) = u64::from_str_radix(f[4], 16) {
                m.insert(f[0].to_string(), size);
            }
        }
    }
    m
}

#[test]
fn predicted_kept_sizes_match_the_linked_sections_within_padding() {
    need_tool("ld", "binutils");
    let e = e2e();
    let tmp = tempfile::tempdir().unwrap();
    let musl = e.path("MUSL_DIR");
    let hello = plan_script(&e, tmp.path(), "hello", &[e.path("HELLO")]);
    let out = tmp.path().join("libc.so");
    let script_arg = format!("-Wl,--version-script={}", hello.display());
    run(Command::new(e.get("LINK_CC"))
        .args(&musl_link(&e, "bfd", &out, &[script_arg])[1..])
        .current_dir(&musl));
    let report = tailor_gc(
        &musl,
        &[
            "--no-by-name",
            "--version-script",
            &hello.display().to_string(),
        ],
        &musl_link(&e, "bfd", &out, &[]),
    );
    let mut predicted: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for k in report["kept"].as_array().unwrap() {
        if k["alloc"].as_bool() == Some(true) {
            let entry = predicted
                .entry(k["output"].as_str().unwrap().to_string())
                .or_default();
            entry.0 += k["size"].as_u64().unwrap();
            entry.1 += k["align"].as_u64().unwrap().max(1) - 1;
        }
    }
    let actual = section_sizes(&out);
    for name in [".text", ".rodata", ".data", ".data.rel.ro", ".bss"] {
        let (p, pad) = predicted.get(name).copied().unwrap_or_default();
        let a = actual.get(name).copied().unwrap_or(0);
        eprintln!("{name}: predicted {p} + up to {pad} padding, linked {a}");
        assert!(
            a >= p && a - p <= pad,
            "{name}: predicted {p} bytes (+{pad} padding at most), the linked libc has {a}"
        );
    }
}

/// The sections of `file` defining `symbol`, per nm.
fn defines(dir: &Path, file: &str, symbol: &str) -> bool {
    let path = dir.join(file);
    let text = tool_stdout(
        "nm",
        "binutils",
        &["--defined-only", &path.display().to_string()],
    );
    text.lines()
        .any(|l| l.split_whitespace().nth(2) == Some(symbol))
}

#[test]
fn why_chains_follow_real_relocations_and_top_retained_sizes_add_up() {
    need_tool("ld", "binutils");
    let e = e2e();
    let musl = e.path("MUSL_DIR");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("libc.so");
    let link = musl_link(&e, "bfd", &out, &[]);
    let hello = e.get("HELLO");
    let libc = e.get("LIBC");
    let mut args: Vec<String> = vec![
        "why".into(),
        "--format".into(),
        "json".into(),
        "--all".into(),
        "3".into(),
        "printf_core".into(),
        hello.into(),
        "--provider".into(),
        libc.into(),
        "--".into(),
    ];
    args.extend(link.iter().cloned());
    let o = tailor().args(&args).current_dir(&musl).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let why: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(why["live"], true);
    let chains = why["chains"].as_array().unwrap();
    assert!(!chains.is_empty(), "no chain for printf_core");
    let first = &chains[0];
    assert!(
        first["root"].as_str().unwrap().contains("needed by"),
        "the first chain should start at an export a consumer needs: {first}"
    );
    let mut seen = BTreeSet::new();
    for c in chains {
        let hops = c["hops"].as_array().unwrap();
        let key: Vec<&str> = hops
            .iter()
            .map(|h| h["section"].as_str().unwrap())
            .collect();
        assert!(seen.insert(key.clone()), "chains repeat: {key:?}");
        assert!(key.last().unwrap().ends_with(":.text.printf_core"));
        // Each hop's relocation names a symbol that nm finds defined in the next hop's file.
        for h in &hops[1..] {
            let via = h["via"].as_str().unwrap();
            let sym = via.split('`').nth(1).unwrap();
            let (file, _) = h["section"].as_str().unwrap().rsplit_once(':').unwrap();
            if !sym.starts_with('.') {
                assert!(
                    defines(&musl, file, sym),
                    "{file} does not define {sym} ({via})"
                );
            }
        }
    }

    // Retained sizes: dropping the export that keeps the most alone removes exactly its
    // retained bytes from the prediction.
    let plan = plan_script(&e, tmp.path(), "hello", &[PathBuf::from(hello)]);
    let mut targs: Vec<String> = vec![
        "top".into(),
        "--exports".into(),
        "--format".into(),
        "json".into(),
        "--no-by-name".into(),
        "--version-script".into(),
        plan.display().to_string(),
        "--".into(),
    ];
    targs.extend(link.iter().cloned());
    let o = tailor().args(&targs).current_dir(&musl).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let top: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let best = &top["rows"][0];
    let name = best["item"].as_str().unwrap();
    let retained = best["retained"].as_u64().unwrap();
    assert!(retained > 0);
    let full = tailor_gc(
        &musl,
        &[
            "--no-by-name",
            "--version-script",
            &plan.display().to_string(),
        ],
        &link,
    );
    let text = std::fs::read_to_string(&plan).unwrap();
    let without = tmp.path().join("without.map");
    std::fs::write(
        &without,
        text.lines()
            .filter(|l| !l.trim().starts_with(&format!("{name};")))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let less = tailor_gc(
        &musl,
        &[
            "--no-by-name",
            "--version-script",
            &without.display().to_string(),
        ],
        &link,
    );
    let kept = |r: &serde_json::Value| r["kept_alloc_bytes"].as_u64().unwrap();
    eprintln!(
        "top export `{name}` retains {retained} bytes; kept {} -> {}",
        kept(&full),
        kept(&less)
    );
    assert_eq!(
        kept(&full) - kept(&less),
        retained,
        "retained size of `{name}`"
    );
}

#[test]
fn by_name_fixed_point_keeps_the_dynamic_linkers_own_lookups() {
    need_tool("ld", "binutils");
    let e = e2e();
    let musl = e.path("MUSL_DIR");
    let tmp = tempfile::tempdir().unwrap();
    let link = musl_link(&e, "bfd", &tmp.path().join("libc.so"), &[]);
    let plan_args = ["--provider", e.get("LIBC"), e.get("HELLO")];
    let with = tailor_gc(&musl, &plan_args, &link);
    let found: BTreeSet<&str> = with["by_name"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["export"].as_str().unwrap())
        .collect();
    // Every `find_sym(&ldso, "...")` of musl's dynamic linker.
    let src = std::fs::read_to_string(musl.join("ldso/dynlink.c")).unwrap();
    let wanted: BTreeSet<&str> = src
        .split("find_sym(&ldso, \"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert!(!wanted.is_empty());
    for w in &wanted {
        assert!(found.contains(w), "by-name roots {found:?} miss `{w}`");
    }
    let without = tailor_gc(&musl, &[&plan_args[..], &["--no-by-name"]].concat(), &link);
    let removed = predicted_removed(&without);
    assert!(
        removed.contains(&("obj/ldso/dynlink.lo".into(), ".text.__dls3".into())),
        "without the fixed point, __dls3 should be predicted removed"
    );
}

/// Strings equal to a function's name, each reaching a different kind of code: a parameter
/// its callee ignores and a variadic (printf-like) argument are no lookups; `dlsym`, `strcmp`
/// and a store to memory may be. `noipa` keeps gcc from inlining or cloning the callees.
const BY_NAME_FLOW: &str = r#"#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
void target_ignored(void) {}
void target_logged(void) {}
void target_dlsym(void) {}
void target_compared(void) {}
void target_stored(void) {}
struct lock { int state; };
__attribute__((noipa)) void lock_init(struct lock *l, const char *name) { (void)name; l->state = 0; }
__attribute__((noipa)) void log_note(const char *fmt, ...) {
    va_list ap; va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap);
}
static struct lock the_lock;
const char *saved;
void entry_ignored(void) { lock_init(&the_lock, "target_ignored"); }
void entry_logged(void) { log_note("%s\n", "target_logged"); }
void *entry_dlsym(void) { return dlsym(RTLD_DEFAULT, "target_dlsym"); }
int entry_compared(const char *s) { return strcmp(s, "target_compared") == 0; }
void entry_stored(void) { saved = "target_stored"; }
/* Written out: the C library's output functions, called by name. */
void target_printed(void) {}
void entry_printed(void) { perror("target_printed"); fputs("target_printed", stderr); }
/* Characters compared with constants only. */
void target_tested(void) {}
__attribute__((noipa)) int empty_or_dot(const char *s) { return s[0] == 0 || s[0] == '.'; }
int entry_tested(void) { return empty_or_dot("target_tested"); }
/* Characters compared with case-folded input (as number parsing matches "nan"), and
   exactly (as an inlined strcmp would), and copied. */
void target_folded(void) {}
void target_exact(void) {}
void target_copied(void) {}
int entry_folded(const char *in) {
    int i; for (i = 0; i < 13 && (in[i] | 32) == "target_folded"[i]; i++); return i;
}
int entry_exact(const char *in) {
    int i; for (i = 0; i < 12 && in[i] == "target_exact"[i]; i++); return i;
}
char copy[32];
__attribute__((noipa)) void copy_name(char *d, const char *s) { while ((*d++ = *s++)); }
void entry_copied(void) { copy_name(copy, "target_copied"); }
"#;

/// The names the by-name fixed point keeps in `report`.
fn by_name_exports(report: &serde_json::Value) -> BTreeSet<String> {
    report["by_name"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["export"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn by_name_strings_that_reach_no_lookup_keep_nothing() {
    need_tool("ld", "binutils");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "lib.c", BY_NAME_FLOW);
    write(
        dir,
        "main.c",
        "void entry_ignored(void); void entry_logged(void); void *entry_dlsym(void);\n\
         int entry_compared(const char *); void entry_stored(void); void entry_printed(void);\n\
         int entry_tested(void); int entry_folded(const char *); int entry_exact(const char *);\n\
         void entry_copied(void);\n\
         int main(int c, char **v) { entry_ignored(); entry_logged(); entry_stored();\n\
         entry_printed(); entry_copied();\n\
         return entry_dlsym() != 0 && entry_compared(v[c - 1]) && entry_tested()\n\
         && entry_folded(v[0]) && entry_exact(v[0]); }\n",
    );
    let flags = ["-O2", "-ffunction-sections", "-fdata-sections", "-c"];
    gcc(dir, &[&flags[..], &["lib.c", "main.c"]].concat());
    let link: Vec<String> = [
        "gcc",
        "main.o",
        "lib.o",
        "-Wl,--gc-sections",
        "-ldl",
        "-o",
        "prog",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let found = by_name_exports(&tailor_gc(dir, &[], &link));
    // Printed, compared with constants or case-folded: no lookup (ELF names match exactly).
    let may_be_looked_up = [
        "target_compared",
        "target_copied",
        "target_dlsym",
        "target_exact",
        "target_stored",
    ];
    assert_eq!(
        found,
        may_be_looked_up.iter().map(|s| s.to_string()).collect(),
        "by-name roots of the executable"
    );
    // In a shared object, lock_init and log_note are exported: another object's definitions
    // may run in their place, and may look the names up.
    gcc(
        dir,
        &[
            "-O2",
            "-fPIC",
            "-ffunction-sections",
            "-fdata-sections",
            "-c",
            "lib.c",
        ],
    );
    write(dir, "lib.map", "{ global: entry_*; local: *; };\n");
    let shared: Vec<String> = [
        "gcc",
        "-shared",
        "lib.o",
        "-Wl,--gc-sections",
        "-Wl,--version-script=lib.map",
        "-ldl",
        "-o",
        "lib.so",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let found = by_name_exports(&tailor_gc(dir, &[], &shared));
    assert!(
        ["target_ignored", "target_logged"]
            .iter()
            .chain(&may_be_looked_up)
            .all(|n| found.contains(*n)),
        "by-name roots of the shared object: {found:?}"
    );
}

fn tiny_link(dir: &Path) -> Vec<String> {
    write(
        dir,
        "a.c",
        "int helper(void);\nint main(void) { return helper(); }\n",
    );
    write(
        dir,
        "b.c",
        "int helper(void) { return 0; }\nint unused(void) { return 1; }\n",
    );
    gcc(dir, &["-c", "-ffunction-sections", "a.c", "b.c"]);
    ["gcc", "a.o", "b.o", "-Wl,--gc-sections", "-o", "prog"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn gc_error(dir: &Path, argv: &[String]) -> String {
    let o = tailor()
        .args(["gc", "--"])
        .args(argv)
        .current_dir(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2, got {:?}: {err}",
        o.status
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A failed link as the error: exit 2, `tailor: the link command failed ...: COMMAND` and
/// the linker's stderr indented under it.
fn gc_tool_error(dir: &Path, argv: &[String]) -> String {
    let o = tailor()
        .args(["gc", "--"])
        .args(argv)
        .current_dir(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.starts_with("tailor: the link command failed"), "{err}");
    assert!(err.lines().skip(1).all(|l| l.starts_with("    ")), "{err}");
    err
}

#[test]
fn corrupt_objects_and_archives_give_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let argv = tiny_link(dir);
    // The clean link predicts what GNU ld does.
    let report = tailor_gc(dir, &[], &argv);
    assert!(predicted_removed(&report).contains(&("b.o".into(), ".text.unused".into())));

    let good = std::fs::read(dir.join("b.o")).unwrap();
    // Truncated.
    std::fs::write(dir.join("b.o"), &good[..good.len() / 2]).unwrap();
    let err = gc_error(dir, &argv);
    assert!(err.contains("b.o"), "{err}");
    // A relocation naming a symbol past the symbol table.
    let mut bad = good.clone();
    let rela = rela_text_offset(&good);
    bad[rela + 8 + 4..rela + 8 + 8].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    std::fs::write(dir.join("b.o"), &bad).unwrap();
    std::fs::write(dir.join("a.o"), &bad).unwrap();
    let err = gc_error(dir, &argv);
    assert!(err.contains("relocation") && err.contains(".rela"), "{err}");
    // A bad archive member.
    std::fs::write(dir.join("b.o"), &good).unwrap();
    gcc(dir, &["-c", "-ffunction-sections", "a.c"]);
    run(Command::new("ar")
        .args(["rcs", "libb.a", "b.o"])
        .current_dir(dir));
    let mut archive = std::fs::read(dir.join("libb.a")).unwrap();
    let at = find(&archive, b"\x7fELF").unwrap();
    archive[at + 4] = 9; // ELF class 9
    std::fs::write(dir.join("libb.a"), &archive).unwrap();
    let argv2: Vec<String> = ["gcc", "a.o", "libb.a", "-Wl,--gc-sections", "-o", "prog"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let err = gc_error(dir, &argv2);
    assert!(err.contains("libb.a(b.o)"), "{err}");
    // A missing input and a missing library (perhaps a misread option's value): the
    // linker's own diagnostic, under the command that failed.
    let err = gc_tool_error(
        dir,
        &["gcc".into(), "missing.o".into(), "-o".into(), "p".into()],
    );
    assert!(err.contains("cannot find missing.o"), "{err}");
    let err = gc_tool_error(
        dir,
        &[
            "gcc".into(),
            "a.o".into(),
            "-lnosuchlib".into(),
            "-o".into(),
            "p".into(),
        ],
    );
    assert!(err.contains("cannot find -lnosuchlib"), "{err}");
    // A malformed linker script named by -T.
    write(dir, "bad.ld", "SECTIONS { .text : { *(.text) }\n");
    let err = gc_error(
        dir,
        &[
            "gcc".into(),
            "a.o".into(),
            "-T".into(),
            "bad.ld".into(),
            "-o".into(),
            "p".into(),
        ],
    );
    assert!(err.contains("bad.ld:2:1"), "{err}");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// File offset of the first entry of `.rela.text.main`/`.rela.text.*` in a 64-bit LE object.
fn rela_text_offset(elf: &[u8]) -> usize {
    let u64at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    let u32at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u16at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let shoff = u64at(0x28);
    let shnum = u16at(0x3c);
    for i in 0..shnum {
        let h = shoff + i * 64;
        if u32at(h + 4) == 4 && u64at(h + 0x20) > 0 {
            return u64at(h + 0x18);
        }
    }
    panic!("no SHT_RELA section with entries");
}

/// Links the same small program several ways (C++ COMDAT groups, a thin archive, archives in
/// a group that need each other, a weak definition overridden from an archive member,
/// --whole-archive, -u, --export-dynamic, an init array) and compares with each linker.
#[test]
fn fixture_links_match_every_linker() {
    need_linkers();
    need_tool("g++", "g++");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "t.h",
        "template <class T> struct Box { T v; T get() const { return v; } T twice() const { return v + v; } };\n\
         inline int shared_inline(int x) { return x * 7; }\n",
    );
    write(
        d,
        "a.cc",
        "#include \"t.h\"\nint from_b(int);\nextern \"C\" int weak_fn(void) __attribute__((weak));\n\
         extern \"C\" int weak_fn(void) { return 1; }\n\
         static struct Init { Init() { } } init;\n\
         int main() { Box<int> b{2}; return b.get() + shared_inline(1) + from_b(1) + weak_fn(); }\n",
    );
    write(
        d,
        "b.cc",
        "#include \"t.h\"\nint from_c(int);\nint from_b(int x) { Box<int> b{x}; return b.twice() + shared_inline(x) + from_c(x); }\n\
         int unused_b(int x) { return x; }\n",
    );
    write(d, "c.cc", "int from_b(int);\nint from_c(int x) { return x > 100 ? from_b(x - 1) : x; }\nint unused_c() { return 3; }\n");
    write(
        d,
        "w.cc",
        "extern \"C\" int weak_fn(void) { return 2; }\nint only_in_w() { return 9; }\n",
    );
    write(
        d,
        "k.c",
        "int kept_by_u(void) { return 4; }\nint dropped_k(void) { return 5; }\n",
    );
    let cxx = [
        "-c",
        "-O1",
        "-ffunction-sections",
        "-fdata-sections",
        "-fPIC",
    ];
    run(Command::new("g++")
        .args(cxx)
        .args(["a.cc", "b.cc", "c.cc", "w.cc"])
        .current_dir(d));
    gcc(d, &["-c", "-O1", "-ffunction-sections", "-fPIC", "k.c"]);
    run(Command::new("ar")
        .args(["rcsT", "libthin.a", "b.o"])
        .current_dir(d));
    run(Command::new("ar")
        .args(["rcs", "libc2.a", "c.o"])
        .current_dir(d));
    run(Command::new("ar")
        .args(["rcs", "libw.a", "w.o"])
        .current_dir(d));
    run(Command::new("ar")
        .args(["rcs", "libk.a", "k.o"])
        .current_dir(d));
    let cases: &[(&str, &[&str])] = &[
        (
            "group + thin archive",
            &[
                "g++",
                "a.o",
                "-Wl,--start-group",
                "libc2.a",
                "libthin.a",
                "-Wl,--end-group",
            ],
        ),
        (
            "whole-archive, -u, export-dynamic",
            &[
                "g++",
                "-Wl,-E",
                "-Wl,-u,kept_by_u",
                "a.o",
                "-Wl,--start-group",
                "libc2.a",
                "libthin.a",
                "-Wl,--end-group",
                "-Wl,--whole-archive",
                "libw.a",
                "-Wl,--no-whole-archive",
                "libk.a",
            ],
        ),
        (
            "shared library",
            &["g++", "-shared", "a.o", "b.o", "c.o", "libk.a"],
        ),
    ];
    for linker in ["bfd", "lld", "mold"] {
        for (name, argv) in cases {
            let mut v: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            v.extend(["-Wl,--gc-sections".into(), "-o".into(), "out".into()]);
            v.extend(fuse(linker));
            let actual = linker_removed(d, &v, PRINT);
            let report = tailor_gc(d, &[], &v);
            assert_same(
                &format!("{name}, {linker}"),
                &predicted_removed(&report),
                &actual,
            );
        }
    }
}

/// Kernel-style scripts, as OSv's loader.ld writes them: a plain rule places `.init_array`
/// and `.fixup` before a `KEEP` rule for the same sections (GNU ld and lld keep every section
/// a `KEEP` pattern matches, wherever it was placed); `ENTRY` names a symbol the script
/// defines relative to an object's (`PROVIDE_HIDDEN(entry = start - SHIFT)`), inside an output
/// section (GNU ld keeps the section it is relative to) or at the top level (GNU ld does not;
/// lld does either way); an assignment names an otherwise unused function (lld keeps it).
#[test]
fn kernel_scripts_late_keep_and_script_defined_entry_match_gnu_ld_and_lld() {
    need_tool("ld", "binutils");
    need_tool("ld.lld", "lld");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "boot.c",
        "void boot_start(void) { for (;;) ; }\nvoid boot_unused(void) { }\n",
    );
    write(
        d,
        "k.c",
        "static int hits;\nstatic void ctor(void) { hits++; }\n\
         __attribute__((section(\".init_array\"), used)) static void (*const init)(void) = ctor;\n\
         __attribute__((section(\".fixup\"), used)) static const int fix = 7;\n\
         int k_unused(void) { return hits; }\nint k_named(void) { return 2; }\n",
    );
    let body = "  .fixup : { *(.fixup) KEEP(*(.fixup)) }\n\
                  .init_array : { *(.init_array) KEEP(*(.init_array)) }\n\
                  .data : { *(.data .data.* .bss .bss.*) HIDDEN(named = k_named); }\n}\n";
    write(
        d,
        "inside.ld",
        &format!(
            "SHIFT = 0x1000;\nENTRY(low_entry)\nSECTIONS {{\n  . = 0x200000;\n\
             .text : {{ *(.text .text.*) PROVIDE_HIDDEN(low_entry = boot_start - SHIFT); }}\n{body}"
        ),
    );
    write(
        d,
        "top.ld",
        &format!(
            "SHIFT = 0x1000;\nENTRY(low_entry)\nPROVIDE_HIDDEN(low_entry = boot_start - SHIFT);\n\
             SECTIONS {{\n  . = 0x200000;\n  .text : {{ *(.text .text.*) }}\n{body}"
        ),
    );
    run(Command::new("gcc")
        .args([
            "-c",
            "-O1",
            "-ffunction-sections",
            "-fdata-sections",
            "-fno-pic",
            "boot.c",
            "k.c",
        ])
        .current_dir(d));
    for script in ["inside.ld", "top.ld"] {
        for linker in ["bfd", "lld"] {
            let mut argv: Vec<String> = [
                "gcc",
                "-nostdlib",
                "-static",
                "-no-pie",
                "-Wl,--gc-sections",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            argv.extend(fuse(linker));
            argv.extend(
                ["-T", script, "boot.o", "k.o", "-o", "kernel.elf"]
                    .iter()
                    .map(|s| s.to_string()),
            );
            let actual = linker_removed(d, &argv, PRINT);
            let predicted = predicted_removed(&tailor_gc(d, &[], &argv));
            assert_same(&format!("{script}, {linker}"), &predicted, &actual);
            // What the rules are about.
            for kept in [".init_array", ".fixup"] {
                assert!(
                    !actual.iter().any(|(_, s)| s == kept),
                    "{linker} keeps {kept}: {actual:?}"
                );
            }
            let boot_kept = !actual.iter().any(|(_, s)| s == ".text.boot_start");
            assert_eq!(
                boot_kept,
                linker == "lld" || script == "inside.ld",
                "{script}, {linker}: {actual:?}"
            );
        }
    }
}

/// `extern "C++"` version-script patterns, matched against demangled names as the linkers
/// do: quoted names literally (`"api::f(int)"`), bare ones as wildcards (`api::C::*`), the
/// special names (`"vtable for api::C"`, `typeinfo*`); a local C++ wildcard under `global: *`.
/// The removed set (exported functions root their sections) equals each linker's; a dead
/// function with an exception table (`.gcc_except_table.*`, which lld keeps through its FDE).
#[test]
fn cxx_version_script_patterns_match_every_linker() {
    need_linkers();
    need_tool("g++", "g++");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "api.cc",
        "namespace api {\n\
         int f(int x) { return x + 1; }\n\
         int f(double x) { return (int)x; }\n\
         int g(int x) { return x * 2; }\n\
         struct C { virtual int m(); virtual ~C(); int n(int); };\n\
         int C::m() { return 3; }\n\
         C::~C() {}\n\
         int C::n(int x) { return x; }\n\
         }\n\
         namespace detail { int h(int x) { return x - 1; } int k(int x) { return x ^ 5; }\n\
         int thrower(int x) { try { if (x > 3) throw x; } catch (int e) { return e; } return 0; } }\n\
         extern \"C\" int c_func(int x) { return detail::h(x); }\n\
         extern \"C\" int other_c(int x) { return x; }\n",
    );
    run(Command::new("g++")
        .args([
            "-c",
            "-O1",
            "-fPIC",
            "-ffunction-sections",
            "-fdata-sections",
        ])
        .arg("api.cc")
        .current_dir(d));
    write(
        d,
        "exact.map",
        "V1 {\n  global:\n    extern \"C++\" {\n      \"api::f(int)\";\n      api::C::*;\n      \"vtable for api::C\";\n      typeinfo*;\n    };\n    c_func;\n  local: *;\n};\n",
    );
    write(
        d,
        "hide.map",
        "{\n  global: *;\n  local:\n    extern \"C++\" { detail::*; \"api::g(int)\"; };\n    other_c;\n};\n",
    );
    for script in ["exact.map", "hide.map"] {
        for linker in ["bfd", "lld", "mold"] {
            let mut v: Vec<String> = ["g++", "-shared", "api.o", "-Wl,--gc-sections"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            v.push(format!("-Wl,--version-script={script}"));
            v.extend(["-o".into(), "libapi.so".into()]);
            v.extend(fuse(linker));
            let actual = linker_removed(d, &v, PRINT);
            assert!(
                !actual.is_empty(),
                "{script}, {linker}: the linker removed nothing: the test shows nothing"
            );
            let report = tailor_gc(d, &[], &v);
            assert_same(
                &format!("extern \"C++\" {script}, {linker}"),
                &predicted_removed(&report),
                &actual,
            );
        }
    }
}

/// Every string of a JSON value.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The script a link is modeled with is the built-in one ld runs for its mode: a PIE's
/// (`ld --verbose -pie`) differs from a position-dependent executable's (two PROVIDE_HIDDEN
/// lines), so the line the `.init` KEEP rule is cited at tells which one tailor read.
#[test]
fn builtin_script_is_the_one_for_the_links_mode() {
    need_linkers();
    let e = e2e();
    let objs = e.path("LUA_OBJ");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lua").display().to_string();
    for flags in [&[][..], &["-no-pie"][..], &["-static"][..]] {
        let argv = lua_link(&[flags, &["-ldl"]].concat(), &out);
        // The mode the driver gives ld.
        let driver = Command::new("gcc")
            .arg("-###")
            .args(&argv[1..])
            .current_dir(&objs)
            .output()
            .expect("gcc -###");
        let line = String::from_utf8_lossy(&driver.stderr)
            .lines()
            .rfind(|l| l.contains("collect2"))
            .expect("the driver's linker line")
            .to_string();
        let pie = line
            .split_whitespace()
            .any(|w| w == "\"-pie\"" || w == "-pie");
        let verbose = Command::new("ld")
            .arg("--verbose")
            .args(pie.then_some("-pie"))
            .output()
            .expect("ld --verbose");
        let text = String::from_utf8_lossy(&verbose.stdout).into_owned();
        let body = text
            .lines()
            .skip_while(|l| !l.starts_with("====="))
            .skip(1)
            .take_while(|l| !l.starts_with("====="));
        let expected = body
            .enumerate()
            .find(|(_, l)| l.contains("KEEP (*(SORT_NONE(.init)))"))
            .map(|(i, _)| i + 1)
            .expect("the .init rule in ld's script");
        let report = tailor_gc(&objs, &[], &argv);
        let mut all = Vec::new();
        strings(&report, &mut all);
        let cited: BTreeSet<&str> = all
            .iter()
            .filter_map(|s| s.split("`KEEP(*(SORT_NONE(.init)))` (line ").nth(1))
            .collect();
        assert_eq!(
            cited,
            BTreeSet::from([format!("{expected})").as_str()]),
            "gcc {flags:?} (pie: {pie}): the .init rule's line in tailor's report"
        );
    }
}

/// `tailor -v gc --format json` in `dir` with the input cache in `cache` (`""`: off): its
/// status, report and the cache's note.
fn gc_cached(dir: &Path, cache: &str, argv: &[String]) -> (bool, String, String) {
    let out = tailor()
        .args(["-v", "gc", "--format", "json", "--"])
        .args(argv)
        .current_dir(dir)
        .env("TAILOR_CACHE_DIR", cache)
        .output()
        .expect("running tailor gc");
    let note = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("tailor: input cache:"))
        .collect::<Vec<_>>()
        .join("\n");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), stdout, note)
}

#[test]
fn the_input_cache_serves_only_unchanged_files() {
    let e = e2e();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lua");
    std::fs::create_dir(&dir).unwrap();
    for f in ["lua.o", "liblua.a"] {
        std::fs::copy(e.path("LUA_OBJ").join(f), dir.join(f)).unwrap();
    }
    let cache = tmp.path().join("cache").display().to_string();
    let argv = lua_link(&["-Wl,-E", "-ldl"], "lua");
    // Fresh files are not packed (a write within the file system clock's tick could keep
    // their identity): the first run reads them and writes nothing.
    let (ok, uncached, note) = gc_cached(&dir, "", &argv);
    assert!(ok && note.is_empty(), "{note}");
    let (ok, fresh, note) = gc_cached(&dir, &cache, &argv);
    assert!(ok && fresh == uncached, "{note}");
    assert!(
        note.contains("0 of 2 inputs") && !note.contains("wrote"),
        "{note}"
    );
    // Once settled they are packed, and the next run takes both from the pack.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (_, first, note) = gc_cached(&dir, &cache, &argv);
    assert!(first == uncached && note.contains("wrote"), "{note}");
    let (_, second, note) = gc_cached(&dir, &cache, &argv);
    assert!(
        second == uncached && note.contains("2 of 2 inputs"),
        "{note}"
    );
    // lua.o overwritten with bytes of the same size, its modification time put back: only its
    // change time tells, and the cache must not serve the old bytes (the new ones are not
    // ELF, so the link fails as it does without the cache).
    let lua_o = dir.join("lua.o");
    let mtime = std::fs::metadata(&lua_o).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&lua_o).unwrap();
    bytes[..4].copy_from_slice(b"XXXX");
    std::fs::write(&lua_o, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&lua_o)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (ok_uncached, broken, _) = gc_cached(&dir, "", &argv);
    let (ok_cached, cached, note) = gc_cached(&dir, &cache, &argv);
    assert!(!ok_uncached && !ok_cached, "{note}\n{cached}");
    assert_eq!(broken, cached);
    assert!(note.contains("1 of 2 inputs"), "{note}");
}
