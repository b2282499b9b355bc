//! A real OSv kernel and image (scripts/osv-build.sh: OSv's own build, cached in
//! target/e2e/osv), and booting it in QEMU (scripts/osv-boot.sh: direct kernel boot, no
//! network device, KVM when it works, else TCG).

use std::path::Path;
use std::process::Command;

use super::e2e::{build_script, build_script_with, E2e};

/// The KEY=VALUE lines of scripts/osv-build.sh (see the script for the contract).
pub fn osv() -> E2e {
    build_script("osv-build.sh")
}

/// A variant of that kernel built by OSv's own build with more make variables, in a copy of
/// the tree (scripts/osv-variant.sh: VARIANT_DIR, VARIANT_LINK, VARIANT_KERNEL, ...).
pub fn variant(name: &str, vars: &[&str]) -> E2e {
    let mut args = vec![name];
    args.extend_from_slice(vars);
    build_script_with("osv-variant.sh", &args)
}

/// A variant built from a copy of the variant `from` (built first), with its variables and
/// `vars` (`osv-variant.sh NAME --from FROM VARS`): a version script on top of a driver
/// profile relinks instead of recompiling the profile's drivers.
pub fn variant_from(name: &str, from: &str, vars: &[&str]) -> E2e {
    let mut args = vec![name, "--from", from];
    args.extend_from_slice(vars);
    build_script_with("osv-variant.sh", &args)
}

/// The variant of OSv's driver profile that boots under TCG, `pci-hpet`
/// (scripts/osv/profile.vars: virtio-pci with HPET; scripts/e2e-all.sh builds it ahead).
pub const PROFILE: &str = "pci-hpet";

/// The make variables of [`PROFILE`].
pub fn profile_vars() -> Vec<&'static str> {
    include_str!("../../../../scripts/osv/profile.vars")
        .split_whitespace()
        .collect()
}

/// The [`PROFILE`] variant.
pub fn profile() -> E2e {
    variant(PROFILE, &profile_vars())
}

/// What a boot printed.
pub struct Boot {
    /// QEMU exited with status 0 (OSv powered off after the program returned).
    pub ok: bool,
    /// The console output, carriage returns removed.
    pub console: String,
    /// osv-boot.sh's stderr (QEMU's errors, the accelerator and the boot's wall time).
    pub log: String,
}

/// Path of a tool OSv's build or boot needs, or a failing test that says how to install it
/// (`scripts/setup.sh --osv`, which scripts/test.sh runs).
pub fn need_osv_tool(tool: &str, package: &str) -> std::path::PathBuf {
    super::find_tool(tool).unwrap_or_else(|| {
        panic!("`{tool}` is not installed: run scripts/setup.sh --osv (Debian package {package})")
    })
}

/// Boots `kernel` with `image` and runs `cmdline` (`/hello`, ...); kills QEMU after
/// `timeout` seconds.
pub fn boot(kernel: &Path, image: &Path, cmdline: &str, timeout: u32) -> Boot {
    need_osv_tool(
        "qemu-system-x86_64",
        "qemu-system-x86, from bookworm-backports",
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/osv-boot.sh");
    // The accelerator, probed once with the first kernel booted (`osv-boot.sh --accel KERNEL
    // IMAGE`: KVM only if it runs that kernel; a nested KVM has been seen to stop at OSv's
    // first SSE instruction): a probe before every boot has been seen to get the aborted
    // probe's messages onto the boot's console output.
    static ACCEL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let accel = ACCEL.get_or_init(|| {
        let out = Command::new("bash")
            .arg(&script)
            .arg("--accel")
            .arg(kernel)
            .arg(image)
            .output()
            .expect("running scripts/osv-boot.sh --accel");
        let text = String::from_utf8_lossy(&out.stdout);
        let accel = text.lines().last().unwrap_or("").trim().to_string();
        assert!(
            out.status.success() && (accel == "kvm" || accel == "tcg"),
            "osv-boot.sh --accel printed {text:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        accel
    });
    let out = Command::new("bash")
        .env("TAILOR_QEMU_ACCEL", accel)
        .arg(&script)
        .arg("-t")
        .arg(timeout.to_string())
        .arg(kernel)
        .arg(image)
        .arg(cmdline)
        .output()
        .expect("running scripts/osv-boot.sh");
    Boot {
        ok: out.status.success(),
        console: String::from_utf8_lossy(&out.stdout).replace('\r', ""),
        log: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether `lines` occur in `console` in order and contiguously (kernel messages may come
/// before and after them).
pub fn contains_lines(console: &str, lines: &[&str]) -> bool {
    let got: Vec<&str> = console.lines().collect();
    lines.is_empty() || got.windows(lines.len()).any(|w| w == lines)
}
