//! How well the Zipf fit of `dofleet fit` covers the true exponent: for a
//! few tenant counts `T`, requests `N` and exponents `s`, draws 300
//! samples of `N` Zipf requests, fits each, and prints the share of 95%
//! intervals that contain `s` and the mean of `(estimate - s) / se`.
//!
//! ```sh
//! cargo run --release --example zipf_fit_coverage
//! ```
//!
//! Results are in docs/traffic.md: the interval holds when tenants have
//! enough requests to be ranked, and not when many are rarely seen.

use dofleet::engine::stream;
use dofleet::workload::fit::fit_zipf;
use dofleet::workload::TenantPicker;

fn main() {
    let cases = [
        (30u32, 20_000u64),
        (30, 200_000),
        (100, 20_000),
        (1_000, 20_000),
        (1_000, 2_000_000),
    ];
    println!(
        "| tenants | requests | s | coverage of the 95% interval | mean (estimate - s) / se |"
    );
    println!("|---|---|---|---|---|");
    for (tenants, requests) in cases {
        for s in [0.5, 0.9, 1.3] {
            let picker = TenantPicker::new(tenants, s);
            let (mut covered, mut z) = (0u32, 0.0);
            let reps = 300u32;
            for seed in 0..reps {
                let mut rng = stream(u64::from(seed), &[(s * 10.0) as u64, 99]);
                let mut counts = vec![0u64; tenants as usize];
                for _ in 0..requests {
                    counts[picker.pick(&mut rng) as usize] += 1;
                }
                let Some(fit) = fit_zipf(&counts) else {
                    continue;
                };
                if fit.ci95.0 <= s && s <= fit.ci95.1 {
                    covered += 1;
                }
                z += (fit.s - s) / fit.se;
            }
            println!(
                "| {tenants} | {requests} | {s} | {:.3} | {:.2} |",
                f64::from(covered) / f64::from(reps),
                z / f64::from(reps)
            );
        }
    }
}
