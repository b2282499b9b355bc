//! `tailor link` on small fixtures: an executable provider that exports through
//! `--export-dynamic` and a version script (how OSv links kernel.elf), re-linked for the app it
//! loads and run; bad link commands; verification that fails when it should.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const KERNEL_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int kapi_counter = 5;
int kapi_add(int a, int b) { return a + b; }
void kapi_log(const char *s) { printf("kernel: %s\n", s); }
/* Exported by the generic kernel, needed by no app: the tailored kernel drops it. */
static int table[8192] = {1};
int kapi_unused(int i) { return table[i] * 3; }
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 2; }
    int (*entry)(void) = (int (*)(void))dlsym(h, "app_main");
    return entry ? entry() : 3;
}
"#;

const APP_C: &str = r#"
void kapi_log(const char *s);
int kapi_add(int a, int b);
extern int kapi_counter;
int app_main(void) { kapi_log("hello from the app"); return kapi_add(kapi_counter, 2) == 7 ? 0 : 1; }
"#;

fn kernel_fixture(d: &Path) -> Vec<String> {
    write(d, "kernel.c", KERNEL_C);
    write(d, "app.c", APP_C);
    write(d, "kernel.map", "{ global: kapi_*; local: *; };\n");
    gcc(
        d,
        &[
            "-c",
            "-O1",
            "-ffunction-sections",
            "-fdata-sections",
            "kernel.c",
            "-o",
            "kernel.o",
        ],
    );
    gcc(d, &["-shared", "-fPIC", "-O1", "app.c", "-o", "app.so"]);
    let command: Vec<String> =
        "gcc -o kernel.elf kernel.o -Wl,--export-dynamic -Wl,--version-script=kernel.map -ldl"
            .split(' ')
            .map(str::to_string)
            .collect();
    // The generic kernel, built as the project's build would.
    gcc(
        d,
        &command[1..].iter().map(String::as_str).collect::<Vec<_>>(),
    );
    command
}

fn run_in(d: &Path, args: &[String]) -> std::process::Output {
    tailor()
        .current_dir(d)
        .args(args)
        .output()
        .expect("running tailor")
}

#[test]
fn executable_provider_like_osv_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let command = kernel_fixture(d);
    for linker in ["bfd", "lld", "mold"] {
        let out = format!("kernel.{linker}");
        let mut args: Vec<String> = [
            "link", "app.so", "--linker", linker, "-o", &out, "--report", "r.json", "--",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(command.iter().cloned());
        let o = run_in(d, &args);
        assert!(
            o.status.success(),
            "{linker}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // Exactly what the app imports from the kernel, by nm.
        let exported = parse_nm_defined(&tool_stdout(
            "nm",
            "binutils",
            &["-D", "--defined-only", &d.join(&out).display().to_string()],
        ));
        let wanted: std::collections::BTreeSet<String> = ["kapi_add", "kapi_counter", "kapi_log"]
            .map(String::from)
            .into();
        let generic = parse_nm_defined(&tool_stdout(
            "nm",
            "binutils",
            &[
                "-D",
                "--defined-only",
                &d.join("kernel.elf").display().to_string(),
            ],
        ));
        let app = parse_nm_undefined(&tool_stdout(
            "nm",
            "binutils",
            &[
                "-D",
                "--undefined-only",
                &d.join("app.so").display().to_string(),
            ],
        ));
        let expected: std::collections::BTreeSet<String> = app
            .into_iter()
            .map(|s| s.0)
            .filter(|n| generic.contains(n))
            .collect();
        assert_eq!(expected, wanted, "fixture changed");
        assert_eq!(exported, expected, "{linker}: tailored kernel exports");
        let run = run(Command::new(d.join(&out))
            .arg(d.join("app.so"))
            .current_dir(d));
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            "kernel: hello from the app\n",
            "{linker}"
        );
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
        assert!(
            report["tailored_stats"]["file_size"].as_u64()
                < report["generic_stats"]["file_size"].as_u64(),
            "{report}"
        );
        assert!(report["verification"]["problems"]
            .as_array()
            .unwrap()
            .is_empty());
    }
}

/// Asserts exit 2, the command and the tool's own message on stderr, and no output left.
fn assert_link_error(d: &Path, command: &str, needles: &[&str]) {
    let mut args = vec![
        "link".to_string(),
        "app.so".into(),
        "-o".into(),
        "out.elf".into(),
        "--".into(),
    ];
    args.extend(command.split(' ').map(str::to_string));
    let o = run_in(d, &args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{command}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("tailor: "), "{stderr}");
    for n in needles {
        assert!(
            stderr.contains(n),
            "{command}: stderr lacks {n:?}:\n{stderr}"
        );
    }
    assert!(!d.join("out.elf").exists(), "{command}: output left behind");
    let temps: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tailor-"))
        .collect();
    assert!(temps.is_empty(), "{command}: temporary files left");
}

#[test]
fn bad_link_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    kernel_fixture(d);
    write(
        d,
        "broken.c",
        "extern int nowhere(void);\nint main(void) { return nowhere(); }\n",
    );
    gcc(d, &["-c", "broken.c", "-o", "broken.o"]);
    assert_link_error(d, "gcc kernel.o -ldl", &["no output (-o FILE)"]);
    assert_link_error(
        d,
        "frobnicate -o kernel.elf kernel.o",
        &["`frobnicate` is not a known"],
    );
    assert_link_error(
        d,
        "gcc -o broken.elf broken.o",
        &[
            "the original link command failed",
            "gcc -o",
            "undefined reference to `nowhere'",
        ],
    );
    assert_link_error(
        d,
        "gcc -o k.elf kernel.o missing.o -ldl",
        &["failed", "missing.o", "No such file"],
    );
    // A link that works as it is but not with tailor's changes is reported the same way.
    assert_link_error(
        d,
        "gcc -o k2.elf kernel.o -ldl -Wl,--no-such-option",
        &["failed", "--no-such-option"],
    );
}

#[test]
fn verification_fails_when_a_needed_symbol_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let command = kernel_fixture(d);
    // A second app needs one more kernel function than the first.
    write(d, "app2.c", "int kapi_unused(int); int kapi_add(int, int);\nint app_main(void) { return kapi_add(kapi_unused(0), 0); }\n");
    gcc(d, &["-shared", "-fPIC", "app2.c", "-o", "app2.so"]);
    let mut args: Vec<String> = ["link", "app.so", "-o", "small.elf", "--"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(command);
    assert!(run_in(d, &args).status.success());
    // The kernel tailored to app.so does not serve app2.so: exit 1, the symbol and its user named.
    let o = run_in(
        d,
        &[
            "verify",
            "--provider",
            "small.elf",
            "--generic",
            "kernel.elf",
            "app2.so",
        ]
        .map(String::from),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("missing: kapi_unused: not exported (needed by app2.so)"),
        "{stdout}"
    );
    assert!(stdout.contains("verification FAILED"), "{stdout}");
    // And it does serve app.so.
    let o = run_in(
        d,
        &[
            "verify",
            "--provider",
            "small.elf",
            "--generic",
            "kernel.elf",
            "app.so",
        ]
        .map(String::from),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn unchanged_rerun_does_not_relink_and_depfile_lists_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let command = kernel_fixture(d);
    let mut args: Vec<String> = ["link", "app.so", "-o", "k.elf", "--depfile", "k.d", "--"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(command);
    assert!(run_in(d, &args).status.success());
    let mtime = std::fs::metadata(d.join("k.elf"))
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = run_in(d, &args);
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is up to date"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::metadata(d.join("k.elf"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
    let dep = std::fs::read_to_string(d.join("k.d")).unwrap();
    assert!(
        dep.starts_with("k.elf:") && dep.contains("kernel.o") && dep.contains("app.so"),
        "{dep}"
    );
    // A changed consumer re-links.
    std::thread::sleep(std::time::Duration::from_millis(20));
    gcc(d, &["-shared", "-fPIC", "-O2", "app.c", "-o", "app.so"]);
    let o = run_in(d, &args);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("up to date"));
    assert!(
        std::fs::metadata(d.join("k.elf"))
            .unwrap()
            .modified()
            .unwrap()
            > mtime
    );
}

const BE_PROVIDER_S: &str = r#"
    .text
    .globl be_used
    .type be_used, @function
be_used: blr
    .size be_used, 4
    .section .text.be_unused,"ax",@progbits
    .globl be_unused
    .type be_unused, @function
be_unused: blr
    .space 200000
    .size be_unused, 200004
"#;

const BE_CONSUMER_S: &str = r#"
    .text
    .globl _start
_start:
    bl be_used
"#;

/// A big-endian provider (32-bit PowerPC): the object carrying tailor's plan is made like
/// the link's first object — its e_type read in the file's byte order — so the cross
/// linker takes it, and the tailored image carries the plan.
#[test]
fn big_endian_provider_embeds_a_big_endian_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pkg = "binutils-powerpc-linux-gnu";
    let as_ = need_tool("powerpc-linux-gnu-as", pkg);
    let ld = "powerpc-linux-gnu-ld";
    need_tool(ld, pkg);
    write(d, "be.s", BE_PROVIDER_S);
    write(d, "app.s", BE_CONSUMER_S);
    for (src, obj) in [("be.s", "be.o"), ("app.s", "app.o")] {
        run(Command::new(&as_)
            .current_dir(d)
            .args(["-a32", "-o", obj, src]));
    }
    let command = format!("{ld} -shared -soname libbe.so --gc-sections -o libbe.so be.o");
    let argv: Vec<&str> = command.split(' ').collect();
    run(Command::new(argv[0]).current_dir(d).args(&argv[1..]));
    run(Command::new(ld).current_dir(d).args([
        "-o",
        "app",
        "app.o",
        "libbe.so",
        "--dynamic-linker",
        "/lib/ld.so.1",
    ]));
    let mut args = vec!["link", "app", "-o", "libbe.tailored.so", "--"];
    args.extend(&argv);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let o = run_in(d, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let embed_dir = d.join("libbe.tailored.so.embed");
    let objects: Vec<_> = std::fs::read_dir(&embed_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    assert_eq!(objects.len(), 1, "{objects:?}");
    let header = tool_stdout(
        "powerpc-linux-gnu-readelf",
        pkg,
        &["-h", &objects[0].display().to_string()],
    );
    assert!(header.contains("big endian"), "{header}");
    assert!(header.contains("PowerPC"), "{header}");
    let exported = parse_nm_defined(&tool_stdout(
        "powerpc-linux-gnu-nm",
        pkg,
        &[
            "-D",
            "--defined-only",
            &d.join("libbe.tailored.so").display().to_string(),
        ],
    ));
    assert!(exported.contains("be_used"), "{exported:?}");
    assert!(!exported.contains("be_unused"), "{exported:?}");
    let plan = tailor_ok(&[
        "extract",
        &d.join("libbe.tailored.so").display().to_string(),
        "--list",
    ]);
    assert!(plan.contains("tailor-plan"), "{plan}");
}

const DATA_LIB_C: &str = r#"
int lib_counter = 1;
int lib_unused_data[256] = {1};
void lib_bump(void) { lib_counter += 41; }
int lib_unused(void) { return lib_unused_data[3]; }
"#;

const DATA_PROG_C: &str = r#"
#include <stdio.h>
extern int lib_counter;
void lib_bump(void);
int main(void) { lib_bump(); printf("%d\n", lib_counter); return 0; }
"#;

/// `--dynamic-list-data` (like `--dynamic-list-cpp-new` and `-cpp-typeinfo`) names no file:
/// it keeps data preemptible, which a consumer's COPY relocation needs. The tailored link
/// passes it through and does not bind the library with -Bsymbolic (GNU ld's option: lld and
/// mold refuse it).
#[test]
fn dynamic_list_data_is_passed_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "dl.c", DATA_LIB_C);
    write(d, "prog.c", DATA_PROG_C);
    write(d, "dl.map", "{ global: lib_*; local: *; };\n");
    gcc(
        d,
        &[
            "-c",
            "-O1",
            "-fPIC",
            "-ffunction-sections",
            "-fdata-sections",
            "dl.c",
        ],
    );
    let command = "gcc -shared -o libdl_data.so dl.o -Wl,-soname,libdl_data.so \
                   -Wl,--version-script=dl.map -Wl,--dynamic-list-data";
    let argv: Vec<&str> = command.split_whitespace().collect();
    gcc(d, &argv[1..]);
    gcc(
        d,
        &[
            "-O1",
            "-fno-pic",
            "-no-pie",
            "prog.c",
            "-o",
            "prog",
            "-L.",
            "-ldl_data",
        ],
    );
    let copies = parse_readelf_copies(&tool_stdout(
        "readelf",
        "binutils",
        &["-rW", &d.join("prog").display().to_string()],
    ));
    assert!(
        copies.iter().any(|(n, _)| n == "lib_counter"),
        "fixture: no COPY relocation: {copies:?}"
    );
    std::fs::create_dir(d.join("t")).unwrap();
    let linker = "bfd";
    let mut args = vec![
        "link",
        "prog",
        "--linker",
        linker,
        "-o",
        "t/libdl_data.so",
        "--",
    ];
    args.extend(&argv);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let o = run_in(d, &args);
    assert!(
        o.status.success(),
        "{linker}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dynamic = tool_stdout(
        "readelf",
        "binutils",
        &["-dW", &d.join("t/libdl_data.so").display().to_string()],
    );
    assert!(!dynamic.contains("SYMBOLIC"), "{linker}: {dynamic}");
    let exported = parse_nm_defined(&tool_stdout(
        "nm",
        "binutils",
        &[
            "-D",
            "--defined-only",
            &d.join("t/libdl_data.so").display().to_string(),
        ],
    ));
    assert!(!exported.contains("lib_unused"), "{linker}: {exported:?}");
    // The library's write reaches the program's copy.
    let out = run(Command::new(d.join("prog"))
        .env("LD_LIBRARY_PATH", d.join("t"))
        .current_dir(d));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n", "{linker}");
}

/// A mistyped linker option reads, to tailor, as an input that does not exist; the error is
/// the linker's own diagnostic. A mistyped compiler is `PROG: program not found`.
#[test]
fn mistyped_linker_option_and_program_are_reported_as_the_tools_see_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    kernel_fixture(d);
    // kernel.elf is up to date: tailor reads the link itself before running anything.
    let typo = "gcc -o kernel.elf kernel.o -Wl,--export-dynamic -Wl,--version-script=kernel.map \
                -ldl -Wl,-sonme,libkernel.so.0";
    assert_link_error(
        d,
        &typo.split_whitespace().collect::<Vec<_>>().join(" "),
        &[
            "unable to disambiguate: -sonme",
            "-Wl,-sonme,libkernel.so.0",
        ],
    );
    for sub in ["gc", "check"] {
        let mut args = vec![sub.to_string(), "--".into()];
        args.extend(typo.split_whitespace().map(str::to_string));
        let o = run_in(d, &args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{sub}: {stderr}");
        assert!(
            stderr.contains("unable to disambiguate: -sonme"),
            "{sub}: {stderr}"
        );
        assert!(!stderr.contains("opening link input"), "{sub}: {stderr}");
    }
    for sub in ["link", "gc"] {
        let mut args = vec![sub.to_string()];
        if sub == "link" {
            args.push("app.so".into());
        }
        args.extend(["--", "gccc", "-o", "kernel.elf", "kernel.o", "-ldl"].map(String::from));
        let o = run_in(d, &args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{sub}: {stderr}");
        assert_eq!(stderr, "tailor: gccc: program not found\n", "{sub}");
    }
}

/// A real libtool project (a two-file library and a program using it, built with
/// `libtool --mode=compile` and `--mode=link`): the program's wrapper script and the
/// library's `.la` file stand for their ELF files, and `libtool --mode=link ...` is taken as
/// the link command libtool runs.
#[test]
fn libtool_wrappers_and_link_mode() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let libtool = need_tool("libtool", "libtool-bin");
    write(
        d,
        "a.c",
        "int foo_a(void) { return 1; }\nint foo_unused(void) { return 3; }\n",
    );
    write(
        d,
        "b.c",
        "int foo_b(void) { return 2; }\nint foo_data = 5;\n",
    );
    write(
        d,
        "main.c",
        "#include <stdio.h>\nint foo_a(void); int foo_b(void);\n\
         int main(void) { printf(\"%d\\n\", foo_a() + foo_b()); return 0; }\n",
    );
    let lt = |args: &str| {
        run(Command::new(&libtool)
            .current_dir(d)
            .args(args.split_whitespace()));
    };
    lt("--mode=compile gcc -O1 -c a.c");
    lt("--mode=compile gcc -O1 -c b.c");
    lt("--mode=compile gcc -O1 -c main.c");
    let lib_link = "--mode=link gcc -O1 -rpath /usr/lib -o libfoo.la a.lo b.lo";
    lt(lib_link);
    lt("--mode=link gcc -o prog main.lo libfoo.la");

    // The wrapper script and the .la file, named on the command line.
    let o = run_in(
        d,
        &[
            "needs",
            "./prog",
            "--provider",
            "libfoo.la",
            "--format",
            "json",
        ]
        .map(String::from),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("tailor: ./prog is a libtool wrapper; using .libs/prog"),
        "{stderr}"
    );
    let o = run_in(d, &["needs", "libfoo.la"].map(String::from));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("tailor: libfoo.la is a libtool library; using .libs/libfoo.so.0"),
        "{stderr}"
    );
    // A wrapper whose program is not built: named, with the file it wants.
    let script = std::fs::read_to_string(d.join("prog")).unwrap();
    write(d, "other", &script.replace(".libs/prog", ".libs/other"));
    let o = run_in(d, &["needs", "./other"].map(String::from));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "tailor: ./other: a libtool wrapper for .libs/other, which does not exist (not built yet?)\n"
    );

    // `libtool --mode=link` as the link command, in each spelling.
    for (i, spelling) in ["", "--tag=CC "].iter().enumerate() {
        let out = format!("libfoo.tailored.{i}.so");
        let mut args: Vec<String> = ["link", "./prog", "-o", &out, "--", "libtool"]
            .map(String::from)
            .to_vec();
        args.extend(
            format!("{spelling}{lib_link}")
                .split_whitespace()
                .map(String::from),
        );
        let o = run_in(d, &args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{spelling}: {stderr}");
        assert!(
            stderr.contains("tailor: libtool --mode=link runs: gcc -shared")
                && stderr.contains("-o .libs/libfoo.so.0.0.0"),
            "{stderr}"
        );
        let exported = parse_nm_defined(&tool_stdout(
            "nm",
            "binutils",
            &["-D", "--defined-only", &d.join(&out).display().to_string()],
        ));
        let want: std::collections::BTreeSet<String> = ["foo_a", "foo_b"].map(String::from).into();
        assert_eq!(exported, want, "{spelling}");
    }
    // --dry-run changed nothing libtool had built.
    assert!(d.join(".libs/libfoo.so.0.0.0").is_file());
    assert!(d.join(".libs/libfoo.a").is_file());
}

/// A library whose exports the link's model predicts (planned and linked while the generic
/// link runs), and one it does not (`--defsym`, which the model leaves out): the second is
/// planned again from the generic image. Both export exactly what their app imports, as nm
/// reads the generic image, and run it. What an attempt says before its plan is known to hold
/// (a `--keep` warning) is said once, even when the plan is made again.
#[test]
fn exports_planned_before_the_generic_link_are_checked_against_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "k.c",
        "int k_add(int a, int b) { return a + b; }\nint k_unused(int i) { return i * 3; }\n",
    );
    write(
        d,
        "plain.c",
        "#include <stdio.h>\nint k_add(int, int);\n\
         int main(void) { printf(\"%d\\n\", k_add(2, 3) + 2); return 0; }\n",
    );
    write(
        d,
        "defsym.c",
        "#include <stdio.h>\nint k_add(int, int);\nint k_alias(int, int);\n\
         int main(void) { printf(\"%d\\n\", k_add(2, 3) + k_alias(1, 1)); return 0; }\n",
    );
    write(d, "keep.txt", "k_nosuch\n");
    gcc(d, &["-fPIC", "-ffunction-sections", "-c", "k.c"]);
    let defsym = "-Wl,--defsym=k_alias=k_add";
    gcc(d, &["-shared", "-o", "libk.so", "k.o", defsym]);
    for (app, extra, guess_holds) in [("plain", None, true), ("defsym", Some(defsym), false)] {
        gcc(d, &[&format!("{app}.c"), "-L.", "-lk", "-o", app]);
        let app_needs: std::collections::BTreeSet<String> = parse_nm_undefined(&tool_stdout(
            "nm",
            "binutils",
            &["-D", "--undefined-only", &d.join(app).display().to_string()],
        ))
        .into_iter()
        .map(|(name, _)| name)
        .collect();
        let out = format!("libk-{app}.so");
        let consumer = format!("./{app}");
        let mut args = vec!["link", &consumer, "-o", &out, "--keep", "keep.txt"];
        args.extend(["--", "gcc", "-shared", "-o", "libk.so", "k.o"]);
        args.extend(extra);
        let o = tailor().current_dir(d).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{app}: {stderr}");
        let replanned = stderr.contains("planning again from the image");
        assert_eq!(replanned, !guess_holds, "{app}: {stderr}");
        let warning = "tailor: warning: --keep k_nosuch: not exported by libk.so\n";
        assert_eq!(stderr.matches(warning).count(), 1, "{app}: {stderr}");
        let generic = parse_nm_defined(&tool_stdout(
            "nm",
            "binutils",
            &[
                "-D",
                "--defined-only",
                &d.join("libk.so").display().to_string(),
            ],
        ));
        let tailored = parse_nm_defined(&tool_stdout(
            "nm",
            "binutils",
            &["-D", "--defined-only", &d.join(&out).display().to_string()],
        ));
        let wanted: std::collections::BTreeSet<String> =
            app_needs.intersection(&generic).cloned().collect();
        assert!(!wanted.is_empty(), "{app} imports nothing from libk.so");
        assert_eq!(tailored, wanted, "{app}: exports of the tailored library");
        let ran = Command::new(d.join(app))
            .env("LD_PRELOAD", d.join(&out))
            .env("LD_LIBRARY_PATH", d)
            .output()
            .unwrap();
        assert!(ran.status.success(), "{app} on the tailored library");
        assert_eq!(String::from_utf8_lossy(&ran.stdout), "7\n", "{app}");
    }
}
