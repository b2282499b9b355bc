//! The products of scripts/libs-build.sh: zlib, expat, sqlite and libpng built from Debian's
//! source packages with their own build systems (plain and with function sections), each
//! shared library's link command recorded; built once and cached in target/e2e/libs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::run;

/// The KEY=VALUE lines libs-build.sh prints.
pub struct Libs {
    vars: BTreeMap<String, String>,
}

impl Libs {
    pub fn get(&self, k: &str) -> &str {
        self.vars
            .get(k)
            .unwrap_or_else(|| panic!("libs-build.sh printed no {k}"))
    }
    pub fn path(&self, k: &str) -> PathBuf {
        PathBuf::from(self.get(k))
    }
    /// The link command's argv (the `_LINK` file: one argument a line, the driver first).
    pub fn link_command(&self, k: &str) -> Vec<String> {
        let file = self.path(k);
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        text.lines().map(str::to_string).collect()
    }
    /// The directory of the functional test drivers (scripts/libs).
    pub fn tests_dir(&self) -> PathBuf {
        self.path("LIBS_TESTS")
    }
}

/// Runs libs-build.sh once per test process (it builds what is missing, under a lock).
pub fn libs() -> &'static Libs {
    static LIBS: OnceLock<Libs> = OnceLock::new();
    LIBS.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/libs-build.sh");
        let out = run(Command::new("bash").arg(script));
        let vars = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Libs { vars }
    })
}
