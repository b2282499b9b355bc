//! A real OSv kernel (OSv's own build of v0.57.0 from ../shared/osv-src, by
//! scripts/osv-build.sh, cached in target/e2e/osv) booted in QEMU (scripts/osv-boot.sh) with
//! the applications it is to be tailored to: native-example's hello, lua and the sqlite3 shell
//! (glibc PIEs from Debian's source packages). Each prints in OSv exactly what the same program
//! prints on the host with the same input.

mod common;

use std::path::Path;
use std::process::Command;

use common::e2e::E2e;
use common::osv::{boot, contains_lines, osv};

/// Seconds before a boot is killed (TCG boots and runs each of these in a few seconds).
const BOOT_TIMEOUT: u32 = 180;

/// An application of the image: its command line inside OSv and the output the same program
/// prints on the host.
struct App {
    name: &'static str,
    cmdline: String,
    expected: Vec<String>,
}

/// Runs the program of `cmdline` (an image path) on the host, its `/tailor/` arguments mapped
/// to the module directory they come from; returns its stdout lines.
fn host_run(e: &E2e, key: &str, cmdline: &str) -> Vec<String> {
    let module_dir = e
        .path("OSV_APPS_MANIFEST")
        .parent()
        .expect("module dir")
        .to_path_buf();
    let args: Vec<String> = cmdline
        .split_whitespace()
        .skip(1)
        .map(|a| match a.strip_prefix("/tailor/") {
            Some(rest) => module_dir.join(rest).display().to_string(),
            None => a.to_string(),
        })
        .collect();
    let out = Command::new(e.path(key))
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("running {key} {args:?} on the host: {err}"));
    assert!(
        out.status.success(),
        "{key} {args:?} failed on the host: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn apps(e: &E2e) -> Vec<App> {
    [
        ("hello", "OSV_HELLO", "OSV_HELLO_CMD", "OSV_HELLO_LAST"),
        ("lua", "OSV_LUA", "OSV_LUA_CMD", "OSV_LUA_LAST"),
        (
            "sqlite3",
            "OSV_SQLITE3",
            "OSV_SQLITE3_CMD",
            "OSV_SQLITE3_LAST",
        ),
    ]
    .into_iter()
    .map(|(name, prog, cmd, last)| {
        let cmdline = e.get(cmd).to_string();
        let expected = host_run(e, prog, &cmdline);
        assert_eq!(
            expected.last().map(String::as_str),
            Some(e.get(last)),
            "{name} on the host: {expected:#?}"
        );
        App {
            name,
            cmdline,
            expected,
        }
    })
    .collect()
}

/// Boots `kernel` once per application and checks each prints its host output.
fn boot_apps(kernel: &Path, image: &Path, apps: &[App]) {
    for app in apps {
        let b = boot(kernel, image, &app.cmdline, BOOT_TIMEOUT);
        let expected: Vec<&str> = app.expected.iter().map(String::as_str).collect();
        assert!(
            b.ok && contains_lines(&b.console, &expected),
            "{} ({}) on {}: ok={}\nexpected:\n{}\nconsole:\n{}\nlog:\n{}",
            app.name,
            app.cmdline,
            kernel.display(),
            b.ok,
            expected.join("\n"),
            b.console,
            b.log
        );
        eprintln!(
            "{} on {}: {} lines as on the host; {}",
            app.name,
            kernel.display(),
            expected.len(),
            b.log.trim()
        );
    }
}

#[test]
#[ignore = "builds OSv (about 12 CPU-minutes, past CI's budget): cargo test --release --test osv -- --ignored"]
fn generic_osv_kernel_runs_hello_lua_and_sqlite3() {
    let e = osv();
    let apps = apps(&e);
    assert!(
        apps[1..]
            .iter()
            .all(|a| a.expected.len() > apps[0].expected.len()),
        "lua's and sqlite3's test output is no longer than hello's: not much of a test"
    );
    boot_apps(&e.path("OSV_KERNEL"), &e.path("OSV_USR_IMG"), &apps);
    // The unstripped kernel (what a tailored link produces) boots the same way.
    boot_apps(&e.path("OSV_LOADER"), &e.path("OSV_USR_IMG"), &apps[..1]);
}

#[test]
#[ignore = "builds OSv (about 12 CPU-minutes, past CI's budget): cargo test --release --test osv -- --ignored"]
fn osv_link_command_is_captured() {
    let e = osv();
    let argv: Vec<String> = std::fs::read_to_string(e.path("OSV_LINK"))
        .expect("reading OSV_LINK")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(argv.first().map(String::as_str), Some(e.get("OSV_LINK_LD")));
    let out = argv
        .windows(2)
        .find(|w| w[0] == "-o")
        .map(|w| w[1].clone())
        .expect("an -o in the link command");
    assert_eq!(
        Path::new(e.get("OSV_DIR")).join(out),
        e.path("OSV_LOADER"),
        "the link command's output is OSV_LOADER"
    );
    for opt in ["--version-script", "-T", "--gc-sections"] {
        assert!(
            argv.iter().any(|a| a.starts_with(opt)),
            "{opt} in the link command"
        );
    }
    let rsp = std::fs::read_to_string(e.path("OSV_LINK_RSP")).expect("reading OSV_LINK_RSP");
    assert_eq!(rsp.lines().collect::<Vec<_>>(), argv[1..].to_vec());
    // Every manifest entry the apps need is in the image's manifest.
    let manifest = std::fs::read_to_string(e.path("OSV_MANIFEST")).expect("reading OSV_MANIFEST");
    for path in [
        "/hello:",
        "/lua:",
        "/sqlite3:",
        "/tailor/test.lua:",
        "/tailor/test.sql:",
    ] {
        assert!(
            manifest.lines().any(|l| l.starts_with(path)),
            "{path} in {manifest}"
        );
    }
}
