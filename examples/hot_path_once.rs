//! One run of the hot-path bench's scenario (1M tenants, Zipf 1.0, hybrid,
//! 20k requests/s, 100 s): a single binary to profile with
//! `valgrind --tool=callgrind` or `perf`, whose instruction count does not
//! depend on the machine's load. Prints the run's requests and a digest of
//! its results, so that a change that alters results shows.
//!
//! ```sh
//! cargo build --release --example hot_path_once
//! valgrind --tool=callgrind target/release/examples/hot_path_once
//! target/release/examples/hot_path_once --set workload.tenants=100000
//! target/release/examples/hot_path_once --repeat 10   # best of 10 runs
//! ```

use dofleet::architectures::{Architecture, ArchitectureVariant};
use dofleet::experiment::config;
use dofleet::simulation::{simulate, RunIdentity};

fn main() {
    let mut sets = vec![
        "workload.tenants=1000000".to_string(),
        "workload.zipf_s=1.0".to_string(),
        "workload.rate_rps=20000.0".to_string(),
        "duration=\"100s\"".to_string(),
    ];
    let mut repeat = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--set" {
            sets.push(args.next().expect("--set KEY=VALUE"));
        } else if a == "--repeat" {
            repeat = args
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--repeat N");
        }
    }
    let mut layers = config::default_layers();
    for s in &sets {
        layers.push(config::set_layer(s).expect("valid override"));
    }
    let cfg = config::load(&layers).expect("valid config");
    let hybrid = ArchitectureVariant {
        architecture: Architecture::Hybrid,
        runtime_wasm_compile: dofleet::architectures::WasmCompile::Blocked,
    };
    let id = RunIdentity {
        seed: 1,
        replication: 0,
    };
    // The best of `repeat` runs: later runs reuse the first one's memory,
    // as the runs of a sweep (and criterion's iterations) do.
    let mut secs = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeat.max(1) {
        let start = std::time::Instant::now();
        out = Some(simulate(&cfg, hybrid, id));
        secs = secs.min(start.elapsed().as_secs_f64());
    }
    let out = out.expect("at least one run");
    let m = &out.metrics;
    println!(
        "requests {} cold {} evictions {} p50 {:.6} p99 {:.6} mean {:.9} memory {:.6}",
        out.arrivals,
        m.cold_starts,
        m.evictions,
        m.latency.quantile_ms(0.5),
        m.latency.quantile_ms(0.99),
        m.latency.mean_ms(),
        m.memory_kib.mean(),
    );
    eprintln!(
        "{secs:.3} s, {:.2} M requests/s",
        out.arrivals as f64 / secs / 1e6
    );
}
