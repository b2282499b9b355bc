//! `tailor needs` on hand-built fixtures for the hard cases — versioned, weak and
//! copy-relocated imports; 32-bit; big-endian (PowerPC, assembled by cross binutils); AArch64;
//! a kernel-module-like ET_REL — compared with the matching binutils' `nm` and `readelf`.

mod common;

use std::path::Path;

use common::libfix::build_fixture;
use common::*;

/// Compares tailor's view of one consumer with `<prefix>nm` and `<prefix>readelf`.
fn assert_matches_binutils(file: &Path, prefix: &str, package: &str, dynamic: bool) -> SymSet {
    let name = file.display().to_string();
    let json: serde_json::Value =
        serde_json::from_str(&tailor_ok(&["needs", "--format", "json", &name])).expect("json");
    let (per, copies) = needs_by_consumer(&json);
    let got = per.get(&name).cloned().unwrap_or_default();
    let nm_args: &[&str] = if dynamic {
        &["-D", "--undefined-only"]
    } else {
        &["--undefined-only"]
    };
    let nm = tool_stdout(
        &format!("{prefix}nm"),
        package,
        &[nm_args, &[name.as_str()]].concat(),
    );
    let mut expected = parse_nm_undefined(&nm);
    let readelf = tool_stdout(&format!("{prefix}readelf"), package, &["-rW", &name]);
    let expected_copies = if dynamic {
        parse_readelf_copies(&readelf)
    } else {
        SymSet::new()
    };
    expected.extend(expected_copies.iter().cloned());
    assert_eq!(got, expected, "{name}: tailor vs {prefix}nm/readelf");
    assert_eq!(copies, expected_copies, "{name}: COPY relocations");
    got
}

#[test]
fn x86_64_versioned_weak_copy() {
    let dir = tempfile::tempdir().unwrap();
    build_fixture(dir.path(), &[]);
    let got = assert_matches_binutils(&dir.path().join("prog"), "", "binutils", true);
    let has = |n: &str, v: Option<&str>| got.contains(&(n.to_string(), v.map(str::to_string)));
    assert!(
        has("fix_versioned", Some("V2")),
        "versioned import: {got:?}"
    );
    assert!(has("fix_table", None) || got.iter().any(|s| s.0 == "fix_table"));
    assert!(got.iter().any(|s| s.0 == "fix_optional"), "weak import");
    // The COPY-relocated objects are reported with their sizes.
    let json: serde_json::Value = serde_json::from_str(&tailor_ok(&[
        "needs",
        "--format",
        "json",
        &dir.path().join("prog").display().to_string(),
    ]))
    .unwrap();
    let table = json["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "fix_table")
        .expect("fix_table");
    assert_eq!(table["copy"], true);
    assert_eq!(table["copy_size"], 256);
    // GNU ld resolves a weak undefined that no provider defines to 0 in a non-PIE program
    // (nm agrees above); the weak reference to a defined symbol stays, marked weak.
    let optional = json["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "fix_optional")
        .unwrap();
    assert_eq!(optional["weak"], true);
}

#[test]
fn i386_32_bit() {
    let dir = tempfile::tempdir().unwrap();
    build_fixture(dir.path(), &["-m32"]);
    let got = assert_matches_binutils(&dir.path().join("prog"), "", "gcc-multilib", true);
    assert!(got.iter().any(|s| s.0 == "fix_counter"));
    assert_matches_binutils(&dir.path().join("libfix.so"), "", "gcc-multilib", true);
}

const BE_LIB_S: &str = r#"
    .section .data
    .globl be_data
    .type be_data, @object
    .size be_data, 16
be_data: .long 1, 2, 3, 4
    .text
    .globl be_func
    .type be_func, @function
be_func: blr
    .globl be_func2
    .type be_func2, @function
be_func2: blr
"#;

const BE_PROG_S: &str = r#"
    .text
    .globl _start
_start:
    lis 9, be_data@ha
    lwz 3, be_data@l(9)
    bl be_func
    bl be_func2
    .section .data
    .weak be_weak
    .long be_weak
"#;

#[test]
fn powerpc_32_bit_big_endian() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (as_, ld) = ("powerpc-linux-gnu-as", "powerpc-linux-gnu-ld");
    let pkg = "binutils-powerpc-linux-gnu";
    write(d, "lib.s", BE_LIB_S);
    write(d, "prog.s", BE_PROG_S);
    write(
        d,
        "lib.map",
        "BE_1 { global: be_func; be_data; local: *; };\nBE_2 { global: be_func2; } BE_1;\n",
    );
    run(std::process::Command::new(need_tool(as_, pkg))
        .current_dir(d)
        .args(["-a32", "-o", "lib.o", "lib.s"]));
    run(std::process::Command::new(need_tool(as_, pkg))
        .current_dir(d)
        .args(["-a32", "-o", "prog.o", "prog.s"]));
    run(std::process::Command::new(need_tool(ld, pkg))
        .current_dir(d)
        .args([
            "-shared",
            "--version-script=lib.map",
            "-soname",
            "libbe.so",
            "-o",
            "libbe.so",
            "lib.o",
        ]));
    run(std::process::Command::new(need_tool(ld, pkg))
        .current_dir(d)
        .args([
            "-o",
            "prog",
            "prog.o",
            "libbe.so",
            "--dynamic-linker",
            "/lib/ld.so.1",
        ]));
    let got = assert_matches_binutils(&d.join("prog"), "powerpc-linux-gnu-", pkg, true);
    assert!(
        got.contains(&("be_data".into(), Some("BE_1".into()))),
        "{got:?}"
    );
    assert!(
        got.contains(&("be_func2".into(), Some("BE_2".into()))),
        "{got:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&tailor_ok(&[
        "needs",
        "--format",
        "json",
        &d.join("prog").display().to_string(),
    ]))
    .unwrap();
    assert_eq!(json["consumers"][0]["endian"], "big");
    assert_eq!(json["consumers"][0]["class"], "elf32");
    let exports = tailor_ok(&["exports", &d.join("libbe.so").display().to_string()]);
    assert!(exports.contains("be_func2@@BE_2 func global"), "{exports}");
    assert!(
        exports.contains("be_data@@BE_1 object global 16"),
        "{exports}"
    );
}

const A64_LIB_S: &str = r#"
    .data
    .globl a64_data
    .type a64_data, %object
    .size a64_data, 8
a64_data: .quad 5
    .text
    .globl a64_func
    .type a64_func, %function
a64_func: ret
"#;

const A64_PROG_S: &str = r#"
    .text
    .globl _start
_start:
    adrp x0, a64_data
    ldr x0, [x0, #:lo12:a64_data]
    bl a64_func
"#;

#[test]
fn aarch64_copy_relocation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pkg = "binutils-aarch64-linux-gnu";
    write(d, "lib.s", A64_LIB_S);
    write(d, "prog.s", A64_PROG_S);
    let tool =
        |t: &str| std::process::Command::new(need_tool(&format!("aarch64-linux-gnu-{t}"), pkg));
    run(tool("as").current_dir(d).args(["-o", "lib.o", "lib.s"]));
    run(tool("as").current_dir(d).args(["-o", "prog.o", "prog.s"]));
    run(tool("ld")
        .current_dir(d)
        .args(["-shared", "-o", "liba64.so", "lib.o"]));
    run(tool("ld").current_dir(d).args([
        "-o",
        "prog",
        "prog.o",
        "liba64.so",
        "--dynamic-linker",
        "/lib/ld-linux-aarch64.so.1",
    ]));
    let got = assert_matches_binutils(&d.join("prog"), "aarch64-linux-gnu-", pkg, true);
    assert!(got.contains(&("a64_data".into(), None)), "{got:?}");
    let readelf = tool_stdout(
        "aarch64-linux-gnu-readelf",
        pkg,
        &["-rW", &d.join("prog").display().to_string()],
    );
    assert!(
        readelf.contains("R_AARCH64_COPY"),
        "fixture lost its COPY relocation:\n{readelf}"
    );
}

const MODULE_C: &str = r#"
extern int printk(const char *fmt, ...);
extern void *kmalloc(unsigned long size, int flags);
extern void kfree(const void *p);
extern int register_driver(void *drv) __attribute__((weak));
static int probe(void) { void *p = kmalloc(16, 0); printk("probe %p\n", p); kfree(p); return 0; }
int init_module(void) { if (register_driver) register_driver((void *)probe); return probe(); }
"#;

#[test]
fn kernel_module_like_object() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "module.c", MODULE_C);
    gcc(
        d,
        &[
            "-c",
            "-O2",
            "-fno-pic",
            "-ffunction-sections",
            "module.c",
            "-o",
            "module.o",
        ],
    );
    gcc(
        d,
        &[
            "-m32",
            "-c",
            "-O2",
            "-fno-pic",
            "module.c",
            "-o",
            "module32.o",
        ],
    );
    for obj in ["module.o", "module32.o"] {
        let got = assert_matches_binutils(&d.join(obj), "", "binutils", false);
        let names: Vec<&str> = got.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(
            names,
            ["kfree", "kmalloc", "printk", "register_driver"],
            "{obj}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&tailor_ok(&[
        "needs",
        "--format",
        "json",
        &d.join("module.o").display().to_string(),
    ]))
    .unwrap();
    assert_eq!(json["consumers"][0]["kind"], "rel");
    let reg = json["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "register_driver")
        .unwrap();
    assert_eq!(reg["weak"], true);
}
