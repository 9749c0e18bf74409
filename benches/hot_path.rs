//! The hot path: simulated requests per second on one core.
//!
//! Scenario of the foundation issue: 1M tenants, Zipf 1.0, hybrid, default
//! phases. Criterion reports throughput in simulated requests per second.
//!
//! `ceiling` is the bare loop the simulator cannot beat: per request, a Zipf
//! tenant and an exponential gap (the same samplers), one touch of a
//! 64-byte tenant record among a million, and one latency recorded in a
//! histogram. See docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dofleet::architectures::{Architecture, ArchitectureVariant, WasmCompile};
use dofleet::engine::stream;
use dofleet::experiment::config;
use dofleet::metrics::LatencyHistogram;
use dofleet::simulation::Config;
use dofleet::simulation::{simulate, RunIdentity};
use dofleet::workload::{ArrivalProcess, PoissonZipf};

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
    // The same run without the isolate model: what the thread model costs
    // (docs/performance.md).
    let mut off = cfg.clone();
    off.isolate.cpu = dofleet::fleet::CpuPhases::NONE;
    group.bench_function("hybrid_1M_tenants_zipf1_isolate_model_off", |b| {
        b.iter(|| simulate(&off, hybrid, id))
    });
    group.finish();
}

/// One 64-byte tenant record.
#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct Record {
    last: u64,
    count: u64,
}

fn ceiling(c: &mut Criterion) {
    let tenants = 1_000_000u32;
    let requests = 2_000_000u64;
    let mut group = c.benchmark_group("ceiling");
    group.sample_size(10);
    group.throughput(Throughput::Elements(requests));
    group.bench_function("zipf_gap_touch_record_1M_tenants", |b| {
        b.iter(|| {
            let mut arrivals = PoissonZipf::new(20_000.0, tenants, 1.0);
            let mut rng = stream(1, &[]);
            let mut records = vec![Record::default(); tenants as usize];
            let mut latency = LatencyHistogram::new();
            let mut now = 0;
            for _ in 0..requests {
                let Some(a) = arrivals.next(now, &mut rng) else {
                    break;
                };
                now = a.time;
                let r = &mut records[a.tenant as usize];
                let since = now - r.last;
                r.last = now;
                r.count += 1;
                latency.record(since.min(1_000_000_000) + 1);
            }
            latency.count()
        })
    });
    group.finish();
}

criterion_group!(benches, hot_path, ceiling);
criterion_main!(benches);
