//! Profiles: OSv's make profiles of both architectures evaluated by tailor equal what GNU make
//! computes from the same files, and so do the converted TOML profiles; generated outputs are
//! stable; malformed profiles are refused; a C test subject whose drivers register themselves
//! (linker set read through __start_/__stop_, init table) is linked with a profile that removes
//! drivers --gc-sections alone keeps.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn osv_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv-data")
}

/// A copy of osv-data/conf with git's symlink-as-text files turned back into symlinks, and a
/// makefile that includes a profile as OSv does and prints every conf_drivers_ variable.
fn make_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for arch in ["x64", "aarch64"] {
        let src = osv_data().join("conf/profiles").join(arch);
        let dst = dir.path().join("conf/profiles").join(arch);
        std::fs::create_dir_all(&dst).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            let text = std::fs::read_to_string(e.path()).unwrap();
            let t = text.trim();
            if !t.contains(char::is_whitespace) && src.join(t).is_file() {
                std::os::unix::fs::symlink(t, dst.join(e.file_name())).unwrap();
            } else {
                std::fs::write(dst.join(e.file_name()), text).unwrap();
            }
        }
    }
    write(
        dir.path(),
        "harness.mk",
        "include conf/profiles/$(arch)/$(profile).mk\ninclude conf/profiles/$(arch)/base.mk\n\
         print:\n\t@$(foreach v,$(sort $(filter conf_drivers_%,$(.VARIABLES))),echo '$(v)=$($(v))';)\n",
    );
    dir
}

fn make_enabled(tree: &Path, arch: &str, profile: &str, extra: &[&str]) -> BTreeSet<String> {
    let make = need_tool("make", "make");
    let out = run(Command::new(make)
        .current_dir(tree)
        .args([
            "-s",
            "-f",
            "harness.mk",
            &format!("profile={profile}"),
            &format!("arch={arch}"),
        ])
        .args(extra)
        .arg("print"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(_, v)| *v == "1")
        .map(|(k, _)| k.trim_start_matches("conf_drivers_").to_string())
        .collect()
}

fn json_enabled(json: &str) -> BTreeSet<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["enabled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn osv_make_profiles_equal_gnu_make_and_converted_toml() {
    let tree = make_tree();
    let root = osv_data().display().to_string();
    let converted = tempfile::tempdir().unwrap();
    let toml = converted
        .path()
        .join("osv-profiles.toml")
        .display()
        .to_string();
    tailor_ok(&[
        "profile",
        "convert",
        "--from-make",
        &root,
        "--arch",
        "x64",
        "--arch",
        "aarch64",
        "-o",
        &toml,
    ]);
    let mut compared = 0;
    for arch in ["x64", "aarch64"] {
        let names = tailor_ok(&["profile", "list", "--from-make", &root, "--arch", arch]);
        assert!(names.lines().count() >= 7, "{names}");
        for profile in names.lines() {
            let reference = make_enabled(tree.path(), arch, profile, &[]);
            let from_make = json_enabled(&tailor_ok(&[
                "profile",
                "show",
                profile,
                "--from-make",
                &root,
                "--arch",
                arch,
                "--format",
                "json",
            ]));
            assert_eq!(
                from_make, reference,
                "{arch}/{profile}: --from-make vs GNU make"
            );
            let from_toml = json_enabled(&tailor_ok(&[
                "profile", "show", profile, "--config", &toml, "--arch", arch, "--format", "json",
            ]));
            assert_eq!(
                from_toml, reference,
                "{arch}/{profile}: converted TOML vs GNU make"
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "{compared} profiles");
    // Command-line overrides win as make's do.
    let with_acpi = make_enabled(tree.path(), "x64", "virtio-mmio", &["conf_drivers_acpi=1"]);
    let ours = json_enabled(&tailor_ok(&[
        "profile",
        "show",
        "virtio-mmio",
        "--from-make",
        &root,
        "--arch",
        "x64",
        "--set",
        "acpi=1",
        "--format",
        "json",
    ]));
    assert_eq!(ours, with_acpi);
    assert!(ours.contains("pci"), "acpi pulls pci: {ours:?}");
}

/// exit 2, one line, naming `needles`.
fn assert_refused(args: &[&str], needles: &[&str]) {
    let out = tailor().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {stderr} lacks {n}");
    }
}

#[test]
fn contradicting_overrides_and_malformed_profiles() {
    let root = osv_data().display().to_string();
    // pci off while acpi (on in virtio-pci) requires it: refused, unless acpi goes too.
    assert_refused(
        &[
            "profile",
            "show",
            "virtio-pci",
            "--from-make",
            &root,
            "--arch",
            "x64",
            "--set",
            "pci=0",
        ],
        &["--set pci=0 contradicts `acpi`"],
    );
    let ok = json_enabled(&tailor_ok(&[
        "profile",
        "show",
        "virtio-pci",
        "--from-make",
        &root,
        "--arch",
        "x64",
        "--set",
        "pci=0",
        "--set",
        "acpi=0",
        "--set",
        "pvpanic=0",
        "--format",
        "json",
    ]));
    assert!(!ok.contains("pci") && !ok.contains("acpi"), "{ok:?}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&str, &str, &[&str]); 6] = [
        ("cycle.toml", "[features.a]\nrequires = [\"b\"]\n[features.b]\nrequires = [\"a\"]\n[profiles.p]\nenable = [\"a\"]\n", &["cycle.toml", "cycle", "a -> b -> a"]),
        ("unknown.toml", "[features.a]\nrequires = [\"nope\"]\n[profiles.p]\n", &["unknown.toml", "unknown feature `nope`"]),
        ("conflict.toml", "[features.a]\nconflicts = [\"b\"]\n[features.b]\n[profiles.p]\nenable = [\"a\", \"b\"]\n", &["conflict.toml", "`a` and `b` conflict"]),
        ("bad.toml", "[features.a\nrequires = 3\n", &["bad.toml:"]),
        ("extends.toml", "[features.a]\n[profiles.p]\nextends = [\"q\"]\n[profiles.q]\nextends = [\"p\"]\n", &["extends.toml", "p -> q -> p"]),
        ("field.toml", "[features.a]\nrequire = [\"b\"]\n[profiles.p]\n", &["field.toml:", "require"]),
    ];
    for (name, text, needles) in cases {
        let p = write(d, name, text).display().to_string();
        assert_refused(&["profile", "show", "p", "--config", &p], needles);
    }
    let p = write(
        d,
        "ok.toml",
        "[features.a]\n[features.b]\nrequires = [\"a\"]\n[profiles.p]\nenable = [\"b\"]\n",
    )
    .display()
    .to_string();
    assert_refused(
        &["profile", "show", "p", "--config", &p, "--set", "a=0"],
        &["--set a=0 contradicts `b`"],
    );
    // An unsupported make construct names the file and line.
    let tree = d.join("tree/conf/profiles/x64");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("base.mk"), "conf_drivers_a?=0\n").unwrap();
    std::fs::write(tree.join("odd.mk"), "conf_drivers_a?=1\n$(info hello)\n").unwrap();
    assert_refused(
        &[
            "profile",
            "show",
            "odd",
            "--from-make",
            &d.join("tree").display().to_string(),
            "--arch",
            "x64",
        ],
        &["odd.mk:2:", "unsupported make construct"],
    );
}

#[test]
fn generated_outputs_are_stable_and_untouched_when_unchanged() {
    let root = osv_data().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let args = [
        "profile",
        "write",
        "virtio-pci",
        "--from-make",
        &root,
        "--arch",
        "x64",
        "--header",
        &p("conf.h"),
        "--make",
        &p("conf.mk"),
        "--json",
        &p("conf.json"),
    ];
    tailor_ok(&args);
    let header = std::fs::read_to_string(p("conf.h")).unwrap();
    assert!(
        header.contains("#define CONF_drivers_acpi 1\n")
            && header.contains("#define CONF_drivers_xen 0\n"),
        "{header}"
    );
    let make = std::fs::read_to_string(p("conf.mk")).unwrap();
    assert!(make.contains("conf_drivers_virtio=1\n"), "{make}");
    let times: Vec<_> = ["conf.h", "conf.mk", "conf.json"]
        .iter()
        .map(|n| std::fs::metadata(p(n)).unwrap().modified().unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = tailor().args(args).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("outputs unchanged"));
    let again: Vec<_> = ["conf.h", "conf.mk", "conf.json"]
        .iter()
        .map(|n| std::fs::metadata(p(n)).unwrap().modified().unwrap())
        .collect();
    assert_eq!(times, again);
    assert_eq!(std::fs::read_to_string(p("conf.h")).unwrap(), header);
    // The header is valid C that the compiler reads.
    write(dir.path(), "use.c", "#include \"conf.h\"\n#if CONF_drivers_acpi && !CONF_drivers_xen\nint ok;\n#else\n#error wrong\n#endif\n");
    gcc(dir.path(), &["-c", "use.c", "-o", "use.o"]);
}

const DRIVER_H: &str = r#"
struct driver { const char *name; int (*probe)(void); };
/* A linker set: pointers in section "drivers", read through __start_drivers/__stop_drivers. */
#define DRIVER_SET(d) static const struct driver *const set_##d __attribute__((used, section("drivers"))) = &d
void register_early(const char *name);
int pci_enable(int slot);
"#;

fn driver_c(name: &str, uses_pci: bool, init_table: bool) -> String {
    format!(
        r#"#include "../driver.h"
static volatile int {name}_table[4096] = {{1, 2, 3}};
static int {name}_probe(void) {{ return {name}_table[1] + {pci}; }}
const struct driver {name}_driver = {{ "{name}", {name}_probe }};
DRIVER_SET({name}_driver);
{init}
int {name}_api(int x) {{ return x + {name}_table[2]; }}
"#,
        pci = if uses_pci { "pci_enable(1)" } else { "0" },
        init = if init_table {
            format!("__attribute__((constructor)) static void {name}_init(void) {{ register_early(\"{name}\"); }}")
        } else {
            String::new()
        }
    )
}

const MAIN_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
#include "driver.h"
extern const struct driver *const __start_drivers[], *const __stop_drivers[];
void register_early(const char *name) { printf("init table: %s\n", name); }
int pci_enable(int slot) { return slot; }
int main(int argc, char **argv) {
    for (const struct driver *const *d = __start_drivers; d < __stop_drivers; d++)
        printf("driver: %s (%d)\n", (*d)->name, (*d)->probe());
    if (argc > 1) {
        void *h = dlopen(argv[1], RTLD_NOW);
        if (!h) { printf("dlopen: %s\n", dlerror()); return 2; }
        int (*entry)(void) = (int (*)(void))dlsym(h, "app_main");
        return entry();
    }
    return 0;
}
"#;

const DRIVERS_TOML: &str = r#"
prefix = "CONF_drivers_"
[features.pci]
objects = ["drivers/pci.o"]
[features.acpi]
objects = ["drivers/acpi.o"]
requires = ["pci"]
[features.virtio]
objects = ["drivers/virtio.o"]
requires = ["pci"]
[features.xen]
objects = ["drivers/xen.o"]
[profiles.base]
[profiles.kvm]
extends = ["base"]
enable = ["virtio", "acpi"]
[profiles.xen]
extends = ["base"]
enable = ["xen"]
"#;

#[test]
fn profile_removes_drivers_that_gc_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("drivers")).unwrap();
    write(d, "driver.h", DRIVER_H);
    write(d, "main.c", MAIN_C);
    write(d, "drivers.toml", DRIVERS_TOML);
    for (name, pci, init) in [
        ("pci", false, false),
        ("acpi", true, true),
        ("virtio", true, false),
        ("xen", false, true),
    ] {
        write(
            &d.join("drivers"),
            &format!("{name}.c"),
            &driver_c(name, pci, init),
        );
        gcc(
            d,
            &[
                "-c",
                "-O1",
                "-ffunction-sections",
                "-fdata-sections",
                &format!("drivers/{name}.c"),
                "-o",
                &format!("drivers/{name}.o"),
            ],
        );
    }
    gcc(
        d,
        &[
            "-c",
            "-O1",
            "-ffunction-sections",
            "-fdata-sections",
            "main.c",
            "-o",
            "main.o",
        ],
    );
    write(d, "kernel.map", "{ global: *_api; local: *; };\n");
    write(
        d,
        "app.c",
        "int virtio_api(int);\nint app_main(void) { return virtio_api(0) == 3 ? 0 : 1; }\n",
    );
    gcc(d, &["-shared", "-fPIC", "app.c", "-o", "app.so"]);
    let command = "gcc -o kernel.elf main.o drivers/pci.o drivers/acpi.o drivers/virtio.o drivers/xen.o -Wl,--export-dynamic -Wl,--version-script=kernel.map -ldl";
    gcc(d, &command.split(' ').skip(1).collect::<Vec<_>>());
    let size = |n: &str| std::fs::metadata(d.join(n)).unwrap().len();
    let link = |extra: &[&str], out: &str| {
        // Sizes compare the links alone: no embedded plan.
        let mut args = vec!["link", "app.so", "--no-embed-plan", "-o", out];
        args.extend_from_slice(extra);
        args.push("--");
        args.extend(command.split(' '));
        tailor().current_dir(d).args(&args).output().unwrap()
    };
    let gc_only = link(&[], "kernel.gc");
    assert!(
        gc_only.status.success(),
        "{}",
        String::from_utf8_lossy(&gc_only.stderr)
    );
    let kvm = link(
        &["--profile", "kvm", "--profiles", "drivers.toml"],
        "kernel.kvm",
    );
    assert!(
        kvm.status.success(),
        "{}",
        String::from_utf8_lossy(&kvm.stderr)
    );
    let drivers = |bin: &str| {
        let out = run(Command::new(d.join(bin))
            .arg(d.join("app.so"))
            .current_dir(d));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // GC alone keeps every driver: the linker set and the init table hold them.
    let all = drivers("kernel.gc");
    for name in ["pci", "acpi", "virtio", "xen"] {
        assert!(all.contains(&format!("driver: {name}")), "{all}");
    }
    // The profile keeps exactly its drivers (virtio, acpi, and pci which both require).
    let kvm_out = drivers("kernel.kvm");
    let listed: BTreeSet<&str> = kvm_out
        .lines()
        .filter_map(|l| l.strip_prefix("driver: "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        listed,
        BTreeSet::from(["acpi", "pci", "virtio"]),
        "{kvm_out}"
    );
    assert!(
        kvm_out.contains("init table: acpi") && !kvm_out.contains("xen"),
        "{kvm_out}"
    );
    // The objects the profile selects, as a list for the build.
    let list = d.join("objects.txt");
    let o = tailor()
        .current_dir(d)
        .args([
            "profile",
            "write",
            "kvm",
            "--config",
            "drivers.toml",
            "--objects",
        ])
        .arg(&list)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&list).unwrap(),
        "drivers/acpi.o\ndrivers/pci.o\ndrivers/virtio.o\n"
    );
    let (all_size, gc_size, kvm_size) = (size("kernel.elf"), size("kernel.gc"), size("kernel.kvm"));
    assert!(
        kvm_size < gc_size && gc_size <= all_size,
        "sizes: all {all_size}, gc {gc_size}, kvm {kvm_size}"
    );
    eprintln!("test subject (GNU ld): all drivers {all_size} B, --gc-sections only {gc_size} B, profile kvm {kvm_size} B");
    // An app that needs the xen driver's API cannot run on the kvm kernel: verification names
    // the feature to enable.
    write(
        d,
        "app.c",
        "int xen_api(int);\nint app_main(void) { return xen_api(0) == 3 ? 0 : 1; }\n",
    );
    gcc(d, &["-shared", "-fPIC", "app.c", "-o", "app.so"]);
    let bad = link(
        &["--profile", "kvm", "--profiles", "drivers.toml"],
        "kernel.kvm2",
    );
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("missing: xen_api") && stderr.contains("enable `xen`"),
        "{stderr}"
    );
    assert!(!d.join("kernel.kvm2").exists());
    // Nothing of the failed run is left beside it (its version script, embedded objects,
    // stamp), nor any staging directory.
    for leftover in [
        "kernel.kvm2.map",
        "kernel.kvm2.embed",
        "kernel.kvm2.tailor-stamp",
    ] {
        assert!(!d.join(leftover).exists(), "{leftover} left behind");
    }
    let staged: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tailor-"))
        .collect();
    assert!(staged.is_empty(), "staging left behind: {staged:?}");
}
