//! The products of scripts/e2e-build.sh (musl and lua from Debian source packages), built
//! once and cached in target/e2e.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::run;

/// The KEY=VALUE lines e2e-build.sh (or osv-build.sh) prints.
pub struct E2e {
    vars: BTreeMap<String, String>,
}

impl E2e {
    pub fn get(&self, k: &str) -> &str {
        self.vars
            .get(k)
            .unwrap_or_else(|| panic!("the build script printed no {k}"))
    }
    pub fn path(&self, k: &str) -> PathBuf {
        PathBuf::from(self.get(k))
    }
}

pub fn e2e() -> E2e {
    build_script("e2e-build.sh")
}

/// Runs scripts/NAME (a build script printing KEY=VALUE lines) and collects its variables.
pub fn build_script(name: &str) -> E2e {
    build_script_with(name, &[])
}

/// [`build_script`] with arguments.
pub fn build_script_with(name: &str, args: &[&str]) -> E2e {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name);
    let out = run(Command::new("bash").arg(script).args(args));
    let vars = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    E2e { vars }
}
