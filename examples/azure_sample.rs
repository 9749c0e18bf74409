//! Writes the synthetic Azure Functions 2019-layout trace shipped as
//! `experiments/data/azure-functions-sample.csv`:
//!
//! ```sh
//! cargo run --release --example azure_sample > experiments/data/azure-functions-sample.csv
//! ```
//!
//! One day (1,440 minutes) of 120 functions in 40 applications of 20
//! owners. Function `r` (rank `r = 1..=120`) is one of:
//! - a timer (one in five): one invocation every 1, 5, 15 or 60 minutes;
//! - otherwise event-driven: Poisson counts per minute, of mean
//!   `D_r / 1440 * (1 + 0.6 cos(2 pi (m - 14 h) / 24 h))`, with a daily
//!   total `D_r = 250,000 * r^-1.1 / H(120, 1.1)` (Zipf popularity, a
//!   daily cycle peaking at 14:00).
//!
//! Deterministic: the same bytes on every run.

use std::io::{BufWriter, Write};

use dofleet::engine::stream;
use rand::RngExt;
use rand_distr::{Distribution, Poisson};

const FUNCTIONS: u64 = 120;
const MINUTES: u64 = 1440;
const DAILY_TOTAL: f64 = 250_000.0;
const ZIPF_S: f64 = 1.1;
const AMPLITUDE: f64 = 0.6;
const PEAK_MINUTE: f64 = 14.0 * 60.0;

/// A 16-hex-digit stand-in for the trace's SHA-256 names.
fn hash(kind: u64, id: u64) -> String {
    format!("{:016x}", dofleet::engine::derive_seed(kind, &[id]))
}

fn main() -> std::io::Result<()> {
    let mut rng = stream(2019, &[]);
    let h: f64 = (1..=FUNCTIONS).map(|r| (r as f64).powf(-ZIPF_S)).sum();
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    writeln!(
        w,
        "# Synthetic: one day of 120 functions in the Azure Functions 2019 trace layout,"
    )?;
    writeln!(
        w,
        "# made by `cargo run --release --example azure_sample` (see that file)."
    )?;
    write!(w, "HashOwner,HashApp,HashFunction,Trigger")?;
    for m in 1..=MINUTES {
        write!(w, ",{m}")?;
    }
    writeln!(w)?;
    for r in 1..=FUNCTIONS {
        let app = (r * 7) % 40;
        let owner = app % 20;
        let timer = r % 5 == 0;
        let trigger = if timer {
            "timer"
        } else {
            ["http", "queue", "event", "http"][(r % 4) as usize]
        };
        write!(
            w,
            "{},{},{},{trigger}",
            hash(1, owner),
            hash(2, app),
            hash(3, r)
        )?;
        let every = [1, 5, 15, 60][(r / 5 % 4) as usize];
        let offset = rng.random_range(0..every);
        let daily = DAILY_TOTAL * (r as f64).powf(-ZIPF_S) / h;
        for m in 0..MINUTES {
            let count = if timer {
                u64::from(m % every == offset)
            } else {
                let phase = std::f64::consts::TAU * (m as f64 + 0.5 - PEAK_MINUTE) / MINUTES as f64;
                let mean = daily / MINUTES as f64 * (1.0 + AMPLITUDE * phase.cos());
                match Poisson::new(mean) {
                    Ok(p) => p.sample(&mut rng) as u64,
                    Err(_) => 0,
                }
            };
            write!(w, ",{count}")?;
        }
        writeln!(w)?;
    }
    w.flush()
}
