//! Micro-benchmarks of the hot loops on this machine's real files: reading a provider's facts
//! (glibc), the by-name scan of its read-only data and of /usr/bin's `dlsym` users, and
//! merging the needs of /usr/bin.
//! `bench/race-version-script.sh` measures the whole command against the reference pipeline.

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use tailor_core::analysis::elf::{self, ReadOptions};
use tailor_core::analysis::exports::Exports;
use tailor_core::analysis::{byname, needs, read_inputs};
use tailor_core::inputs::{self, InputSpec, Mapped};

fn libc_path() -> PathBuf {
    let out = Command::new("gcc")
        .arg("-print-file-name=libc.so.6")
        .output()
        .expect("gcc (run scripts/setup.sh)");
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    std::fs::canonicalize(p).expect("libc.so.6")
}

fn benches(c: &mut Criterion) {
    let libc = libc_path();
    let map = Mapped::open(&libc).expect("mapping libc");
    c.bench_function("read_facts(libc.so.6, all)", |b| {
        b.iter(|| elf::read_facts(&libc, map.bytes()).expect("libc facts"))
    });
    let facts = elf::read_facts(&libc, map.bytes()).expect("libc facts");
    let exports = Exports::from_provider(&libc, &facts);
    c.bench_function("byname::scan(libc.so.6 rodata)", |b| {
        b.iter(|| byname::scan(&facts.rodata, &exports))
    });
    let spec = InputSpec {
        paths: vec![Path::new("/usr/bin").to_path_buf()],
        ..Default::default()
    };
    let set = inputs::collect(&spec).expect("/usr/bin");
    c.bench_function("read_inputs(/usr/bin, imports)", |b| {
        b.iter(|| read_inputs(&set, ReadOptions::IMPORTS, None).expect("reading /usr/bin"))
    });
    let maps: Vec<(PathBuf, Mapped)> = set
        .candidates
        .iter()
        .filter_map(|c| Some((c.path.clone(), Mapped::open(&c.path).ok()?)))
        .filter(|(_, m)| m.is_elf())
        .collect();
    let dlsym_users: Vec<elf::ElfFacts<'_>> = maps
        .iter()
        .filter_map(|(p, m)| elf::read_facts_with(p, m.bytes(), ReadOptions::IMPORTS).ok())
        .filter(|f| f.imports_dlsym())
        .collect();
    let rodata_mb = dlsym_users
        .iter()
        .flat_map(|f| &f.rodata)
        .map(|r| r.bytes.len())
        .sum::<usize>()
        >> 20;
    let name = format!(
        "byname::scan(dlsym users of /usr/bin: {} files, {rodata_mb} MiB)",
        dlsym_users.len()
    );
    c.bench_function(&name, |b| {
        b.iter(|| {
            dlsym_users
                .iter()
                .map(|f| byname::scan(&f.rodata, &exports).len())
                .sum::<usize>()
        })
    });
    drop(dlsym_users);
    drop(maps);
    let read = read_inputs(&set, ReadOptions::IMPORTS, None).expect("reading /usr/bin");
    let views = read.views();
    c.bench_function("needs::compute(/usr/bin vs libc)", |b| {
        b.iter(|| {
            needs::compute(
                &views,
                Some(needs::ProviderView {
                    exports: &exports,
                    facts: None,
                    object_hits: None,
                }),
                false,
            )
        })
    });
}

criterion_group! {
    name = analysis;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(analysis);
