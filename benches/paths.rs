//! Privilege-escalation paths (`grantscope paths`): the whole graph and every principal's
//! shortest paths, over a state with 500 access entries, 2,000 RBAC bindings and 1,000 roles (the
//! authorize benchmark's state: Edit/Admin/View/cluster-admin policies, roles that create pods,
//! read secrets), plus a service account per team namespace bound to cluster-admin. Target: < 2 s
//! on one core. Figures: BENCHMARKS.md.

mod common;

use common::state;
use criterion::{Criterion, criterion_group, criterion_main};
use grantscope::analysis::escalation::escalations;
use grantscope::model::{PolicyRule, Role, RoleBinding, RoleKind, Subject};
use std::collections::HashSet;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    // And what makes paths: one service account per team namespace bound to cluster-admin.
    let mut st = state(500, 2_000, 1_000);
    let all = || vec!["*".to_string()];
    st.roles.push(Role {
        namespace: None,
        name: "cluster-admin".into(),
        rules: vec![PolicyRule { verbs: all(), api_groups: all(), resources: all(), ..PolicyRule::default() }],
    });
    for t in 0..50 {
        st.bindings.push(RoleBinding {
            namespace: None,
            name: format!("team-{t}-deployer-admin"),
            role_kind: RoleKind::ClusterRole,
            role_name: "cluster-admin".into(),
            subjects: vec![Subject::ServiceAccount { namespace: format!("team-{t}"), name: "deployer".into() }],
            system: false,
        });
    }
    let used = HashSet::new();
    let e = escalations(&st, &used);
    eprintln!(
        "{} paths from {} principals; top choke point on {} paths",
        e.paths.len(),
        e.blast_radius.len(),
        e.choke_points.first().map_or(0, |c| c.paths)
    );
    let mut group = c.benchmark_group("paths");
    group.sample_size(10);
    group.bench_function("500_entries_2000_bindings_1000_roles", |b| b.iter(|| black_box(escalations(&st, &used))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
