//! State loading, what `evaluate`, `explain`, `paths` and `whatif` do before anything else: the
//! Kubernetes bootstrap RBAC alone, and on top of it 3,000 RBAC objects as `helm template` prints
//! them (multi-document YAML) and as `kubectl get -o json` prints them (one List with
//! managedFields); and the whole of `grantscope explain` on the YAML, a process started for each
//! answer as a pull request's check starts one. Target: 3,000 objects < 15 ms on one core.
//! Figures: BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use grantscope::generate::{rbac_list_json, rbac_yaml};
use grantscope::state::load_files;
use std::hint::black_box;
use std::process::Command;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let yaml = dir.path().join("rbac.yaml");
    let json = dir.path().join("rbac.json");
    std::fs::write(&yaml, rbac_yaml(3_000)).expect("write");
    std::fs::write(&json, rbac_list_json(3_000)).expect("write");
    let mut group = c.benchmark_group("state");
    group.sample_size(20);
    group.bench_function("bootstrap_only", |b| {
        b.iter(|| black_box(load_files(&[] as &[&std::path::Path], Some("c")).expect("loads")))
    });
    group
        .bench_function("yaml_3000_objects", |b| b.iter(|| black_box(load_files(&[&yaml], Some("c")).expect("loads"))));
    group.bench_function("list_json_3000_objects", |b| {
        b.iter(|| black_box(load_files(&[&json], Some("c")).expect("loads")))
    });
    // The first state of a process also decodes the bootstrap RBAC, which later ones copy.
    let db = dir.path().join("unused.db");
    group.bench_function("explain_process_yaml_3000_objects", |b| {
        b.iter(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_grantscope"))
                .arg("--db")
                .arg(&db)
                .args(["-q", "--format", "json", "explain", "--cluster", "c", "--state"])
                .arg(&yaml)
                .args(["--user", "system:serviceaccount:team-0:app-1", "list", "pods", "-n", "team-0"])
                .output()
                .expect("grantscope runs");
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
