//! An experiment's arrivals written as the trace CSV that `workload.arrivals
//! = "trace"` replays (`timestamp_ms,tenant`), so that the simulator and the
//! testbed see the same requests.
//!
//! The requests are those of the experiment's first run (its seed,
//! replication 0) over `[0, duration)`; tenants are named `t<rank - 1>`.
//! Invariant: replaying the file gives the same (time, tenant) sequence, to
//! the microsecond the CSV keeps (times are written with three decimals of
//! a millisecond).

use std::fmt::Write as _;

use crate::engine::stream;
use crate::simulation::Config;
use crate::workload::{ArrivalProcess, ArrivalSource};

/// The trace text of `config`'s arrivals, at most `max_requests` of them;
/// the second value says whether the cap cut the schedule.
pub fn arrivals_csv(config: &Config, max_requests: usize) -> anyhow::Result<(String, usize, bool)> {
    let mut source = ArrivalSource::from_config(&config.workload);
    if let Some(e) = source.error() {
        anyhow::bail!("{e}");
    }
    // The simulator's arrival stream of replication 0 (stream family 0,
    // replication, stream 0: src/simulation).
    let mut rng = stream(config.seed, &[0, 0, 0]);
    let mut out = String::from("timestamp_ms,tenant\n");
    let mut now = 0;
    let mut written = 0;
    let mut cut = false;
    while let Some(a) = source.next(now, &mut rng) {
        if a.time >= config.duration {
            break;
        }
        if written == max_requests {
            cut = true;
            break;
        }
        now = a.time;
        let _ = writeln!(
            out,
            "{}.{:06},t{}",
            a.time / 1_000_000,
            a.time % 1_000_000,
            a.tenant
        );
        written += 1;
    }
    if let Some(e) = source.error() {
        anyhow::bail!("{e}");
    }
    Ok((out, written, cut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::{load, model_layer, pricing_layer, Source};

    fn config(text: &str) -> Config {
        load(&[
            model_layer(),
            pricing_layer(),
            Source {
                name: "test".into(),
                text: text.into(),
                base_dir: None,
            },
        ])
        .unwrap()
    }

    #[test]
    fn poisson_arrivals_count_and_tenants_match_the_workload() {
        // 20 req/s over 30 tenants for 1000 s: ~20,000 requests, sd ~141.
        let c = config(
            "duration = \"1000s\"\n[workload]\ntenants = 30\nrate_rps = 20.0\nzipf_s = 0.0\n",
        );
        let (csv, n, cut) = arrivals_csv(&c, usize::MAX).unwrap();
        assert!(!cut);
        assert!((n as f64 - 20_000.0).abs() < 5.0 * 141.4, "{n}");
        let lines: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(lines.len(), n);
        let mut per_tenant = [0u32; 30];
        let mut last = 0.0f64;
        for l in &lines {
            let (t, tenant) = l.split_once(',').unwrap();
            let t: f64 = t.parse().unwrap();
            assert!(t >= last && t < 1_000_000.0);
            last = t;
            per_tenant[tenant[1..].parse::<usize>().unwrap()] += 1;
        }
        // Uniform tenants (s = 0): each ~n/30 = 667, sd ~25.
        assert!(per_tenant
            .iter()
            .all(|&c| (c as f64 - n as f64 / 30.0).abs() < 5.0 * 25.8));
        let (_, capped, cut) = arrivals_csv(&c, 100).unwrap();
        assert_eq!((capped, cut), (100, true));
    }

    #[test]
    fn replaying_the_csv_gives_back_the_schedule() {
        let c = config("duration = \"60s\"\n[workload]\ntenants = 10\nrate_rps = 5.0\n");
        let (csv, n, _) = arrivals_csv(&c, usize::MAX).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.csv");
        std::fs::write(&path, &csv).unwrap();
        let plan = crate::testbed::loadgen::plan_from_trace(&path, usize::MAX).unwrap();
        assert_eq!(plan.len(), n);
        // Replay puts time zero at the first row and numbers tenants by first
        // appearance: compare gaps and the tenant partition.
        let rows: Vec<(f64, &str)> = csv
            .lines()
            .skip(1)
            .map(|l| {
                let (t, k) = l.split_once(',').unwrap();
                (t.parse().unwrap(), k)
            })
            .collect();
        let t0 = rows[0].0;
        for (p, (t, _)) in plan.iter().zip(&rows) {
            assert!((p.at.as_secs_f64() * 1e3 - (t - t0)).abs() < 1e-6);
        }
        for i in 0..n {
            for j in 0..n {
                assert_eq!(rows[i].1 == rows[j].1, plan[i].tenant == plan[j].tenant);
            }
        }
    }
}
