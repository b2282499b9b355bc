//! The products of scripts/libs-build.sh: zlib, expat, sqlite and libpng built from Debian's
//! source packages with their own build systems (plain and with function sections), each
//! shared library's link command recorded; built once and cached in target/e2e/libs.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::e2e::{build_script, E2e};

/// The KEY=VALUE lines libs-build.sh prints.
pub struct Libs {
    vars: E2e,
}

impl Libs {
    pub fn get(&self, k: &str) -> &str {
        self.vars.get(k)
    }
    pub fn path(&self, k: &str) -> PathBuf {
        self.vars.path(k)
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
    LIBS.get_or_init(|| Libs {
        vars: build_script("libs-build.sh"),
    })
}
