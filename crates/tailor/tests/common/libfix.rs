//! The libfix fixture: a versioned shared library with data objects, weak and by-name users,
//! and a non-PIE program that copy-relocates its data; compiled by gcc at test time.

use std::path::Path;

use super::{gcc, write};

pub const LIB_C: &str = r#"
#include <stdio.h>
int fix_table[64] = {1, 2, 3};
int fix_counter = 42;
const char *fix_greeting = "hello from libfix";
__asm__(".symver fix_versioned_v1, fix_versioned@V1");
__asm__(".symver fix_versioned_v2, fix_versioned@@V2");
int fix_versioned_v1(void) { return 1; }
int fix_versioned_v2(void) { return 2; }
int fix_plain(int x) { fix_counter += x; return fix_counter; }
void fix_optional(void) { puts("optional present"); }
int fix_byname(void) { return 7; }
/* Exported by the generic library, needed by nobody: the tailored one must drop them. */
int fix_unused_big[4096] = {1};
int fix_unused(void) { return fix_unused_big[5]; }
int fix_unused2(const char *s) { return printf("%s %d\n", s, fix_unused()); }
"#;

pub const LIB_MAP: &str = "V1 { global: fix_*; local: *; };\nV2 { global: fix_versioned; } V1;\n";

pub const PROG_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
extern int fix_table[64];
extern int fix_counter;
extern const char *fix_greeting;
int fix_versioned(void);
int fix_plain(int);
void fix_optional(void) __attribute__((weak));
void fix_absent(void) __attribute__((weak));
int main(void) {
    printf("%s %d %d %d\n", fix_greeting, fix_table[2], fix_counter, fix_versioned());
    printf("plain %d\n", fix_plain(1));
    if (fix_optional) fix_optional();
    if (fix_absent) fix_absent(); else puts("absent is absent");
    int (*f)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "fix_byname");
    printf("by name %d\n", f ? f() : -1);
    return 0;
}
"#;

/// Builds libfix.so (versioned, data objects, weak) and a non-PIE program that copy-relocates
/// its data, in `dir`. Extra flags (e.g. `-m32`) apply to both.
pub fn build_fixture(dir: &Path, extra: &[&str]) {
    write(dir, "libfix.c", LIB_C);
    write(dir, "libfix.map", LIB_MAP);
    write(dir, "prog.c", PROG_C);
    let base = |more: &[&'static str]| -> Vec<&str> { extra.iter().chain(more).copied().collect() };
    gcc(
        dir,
        &base(&[
            "-O1",
            "-fPIC",
            "-ffunction-sections",
            "-fdata-sections",
            "-c",
            "libfix.c",
            "-o",
            "libfix.o",
        ]),
    );
    gcc(
        dir,
        &base(&[
            "-shared",
            "-o",
            "libfix.so",
            "libfix.o",
            "-Wl,--version-script=libfix.map",
            "-Wl,-soname,libfix.so",
        ]),
    );
    gcc(
        dir,
        &base(&[
            "-O1", "-fno-pic", "-no-pie", "prog.c", "-o", "prog", "-L.", "-lfix", "-ldl",
        ]),
    );
}
