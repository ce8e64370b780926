//! Authorization throughput: decisions per second of `Authorizer::authorize` over generated request
//! shapes, against a state with 500 access entries, 2,000 RBAC bindings and 1,000 roles, and again
//! with ten times as many grants that have nothing to do with the callers (the index by subject
//! should make that cost nothing). Figures: BENCHMARKS.md.

mod common;

use common::{shapes, state};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use grantscope::authz::Authorizer;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let shapes = shapes(100_000);
    let base = state(500, 2_000, 1_000);
    let crowded = state(5_000, 20_000, 10_000);
    let mut group = c.benchmark_group("authorize");
    group.throughput(Throughput::Elements(shapes.len() as u64));
    group.sample_size(10);
    for (name, st) in [("500_entries_2000_bindings_1000_roles", &base), ("10x_more_unrelated_grants", &crowded)] {
        let authz = Authorizer::new(st);
        let allowed = shapes.iter().filter(|s| authz.authorize(s).allowed == Some(true)).count();
        eprintln!("{name}: {allowed} of {} shapes allowed", shapes.len());
        group.bench_function(name, |b| {
            b.iter(|| {
                for s in &shapes {
                    black_box(authz.authorize(s));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
