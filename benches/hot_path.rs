//! The hot path: simulated requests per second on one core.
//!
//! Scenario of the foundation issue: 1M tenants, Zipf 1.0, hybrid, default
//! phases. Criterion reports throughput in simulated requests per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dofleet::config::{self, Architecture, ArchitectureVariant, Config, WasmCompile};
use dofleet::simulation::{simulate, RunIdentity};

fn config(sets: &[&str]) -> Config {
    let mut layers = config::default_layers();
    for s in sets {
        layers.push(config::set_layer(s).expect("valid override"));
    }
    config::load(&layers).expect("valid bench config")
}

fn hot_path(c: &mut Criterion) {
    let rate = 20_000.0;
    let seconds = 100.0;
    let cfg = config(&[
        "workload.tenants=1000000",
        "workload.zipf_s=1.0",
        &format!("workload.rate_rps={rate}"),
        &format!("duration=\"{seconds}s\""),
    ]);
    let hybrid = ArchitectureVariant {
        architecture: Architecture::Hybrid,
        runtime_wasm_compile: WasmCompile::Blocked,
    };
    let id = RunIdentity {
        seed: 1,
        replication: 0,
    };
    let requests = simulate(&cfg, hybrid, id).arrivals;
    let mut group = c.benchmark_group("hot_path");
    group.sample_size(10);
    group.throughput(Throughput::Elements(requests));
    group.bench_function("hybrid_1M_tenants_zipf1", |b| {
        b.iter(|| simulate(&cfg, hybrid, id))
    });
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
