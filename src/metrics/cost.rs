//! What a run would cost on Cloudflare, per 30-day month at its rate.
//!
//! Usage in the measurement window is scaled to 30 days, each month's
//! included amount is subtracted, and the rest is priced ([`Pricing`], the
//! published Workers Paid prices). Billed: a DO request per client request,
//! prewarm start and keep-alive ping, and a Workers request (the front Worker) per client request; DO duration
//! for every second a DO is resident, at `do_billed_mb` (128 MB) whatever it
//! uses; the compute worker's CPU time (`compute.cpu_time` per delegated
//! request, at most its wall execution, and cold starts in full; waiting on
//! I/O is not billed; service-binding calls add no request fee); R2 Class B
//! reads.

use super::RunMetrics;
use crate::time::SECOND;

/// `[pricing]`: published prices and the monthly amounts included.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    /// DO requests, USD per million.
    pub do_request_usd_per_m: f64,
    /// DO requests included a month, millions.
    pub do_requests_included_m: f64,
    /// DO duration, USD per million GB-s.
    pub do_gb_s_usd_per_m: f64,
    /// DO duration included a month, GB-s.
    pub do_gb_s_included: f64,
    /// memory a resident DO is billed at, MB.
    pub do_billed_mb: f64,
    /// Workers requests, USD per million.
    pub worker_request_usd_per_m: f64,
    /// Workers requests included a month, millions.
    pub worker_requests_included_m: f64,
    /// Workers CPU time, USD per million CPU-ms.
    pub worker_cpu_ms_usd_per_m: f64,
    /// Workers CPU-ms included a month, millions.
    pub worker_cpu_ms_included_m: f64,
    /// R2 Class B (GET), USD per million.
    pub r2_class_b_usd_per_m: f64,
    /// R2 Class B included a month, millions.
    pub r2_class_b_included_m: f64,
}

const MONTH_SECONDS: f64 = 30.0 * 86_400.0;
const MILLION: f64 = 1e6;

/// A run's usage scaled to a month, and its price.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub do_requests_month: f64,
    pub do_gb_s_month: f64,
    pub worker_requests_month: f64,
    pub worker_cpu_ms_month: f64,
    pub r2_class_b_month: f64,
    /// The bill, item by item (USD a month, after what is included).
    pub do_requests_usd: f64,
    pub do_duration_usd: f64,
    pub worker_requests_usd: f64,
    pub cpu_usd: f64,
    pub r2_usd: f64,
    /// Their sum.
    pub usd_month: f64,
}

/// `max(0, used - included) * price_per_unit`.
fn billed(used: f64, included: f64, price_per_unit: f64) -> f64 {
    (used - included).max(0.0) * price_per_unit
}

impl Cost {
    /// The monthly cost of the usage in `m`.
    pub fn of(m: &RunMetrics, p: &Pricing) -> Cost {
        let window_s = m.window as f64 / SECOND as f64;
        if window_s <= 0.0 {
            return Cost::default();
        }
        let month = MONTH_SECONDS / window_s;
        let do_seconds = m.resident.integral() as f64 / SECOND as f64;
        let c = Cost {
            // Prewarming's starts and keep-alive pings are DO requests too
            // (alarm invocations are billed as requests: docs/sources.md).
            do_requests_month: (m.requests + m.prewarms_started + m.prewarm_pings) as f64 * month,
            do_gb_s_month: do_seconds * p.do_billed_mb / 1024.0 * month,
            worker_requests_month: m.requests as f64 * month,
            worker_cpu_ms_month: m.compute_cpu_ns as f64 / 1e6 * month,
            r2_class_b_month: m.r2_gets as f64 * month,
            ..Cost::default()
        };
        let do_requests_usd = billed(
            c.do_requests_month,
            p.do_requests_included_m * MILLION,
            p.do_request_usd_per_m / MILLION,
        );
        let do_duration_usd = billed(
            c.do_gb_s_month,
            p.do_gb_s_included,
            p.do_gb_s_usd_per_m / MILLION,
        );
        let worker_requests_usd = billed(
            c.worker_requests_month,
            p.worker_requests_included_m * MILLION,
            p.worker_request_usd_per_m / MILLION,
        );
        let cpu_usd = billed(
            c.worker_cpu_ms_month,
            p.worker_cpu_ms_included_m * MILLION,
            p.worker_cpu_ms_usd_per_m / MILLION,
        );
        let r2_usd = billed(
            c.r2_class_b_month,
            p.r2_class_b_included_m * MILLION,
            p.r2_class_b_usd_per_m / MILLION,
        );
        Cost {
            do_requests_usd,
            do_duration_usd,
            worker_requests_usd,
            cpu_usd,
            r2_usd,
            usd_month: do_requests_usd + do_duration_usd + worker_requests_usd + cpu_usd + r2_usd,
            ..c
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::load_default;

    #[test]
    fn a_month_of_usage_is_priced_past_what_is_included() {
        let pricing = load_default().unwrap().pricing;
        // One day of measurement: usage x30 for the month.
        let mut m = RunMetrics::new(0, 86_400 * SECOND);
        m.requests = 1_000_000; // 30 M a month: 29 M billed DO requests, 20 M Workers requests
        m.r2_gets = 1_000_000; // 30 M: 20 M billed
        m.compute_cpu_ns = 2_000_000 * 1_000_000; // 2 M CPU-ms a day: 60 M a month, 30 M billed
        m.resident.add(0, 100); // 100 DOs all day at 128 MB: 100 x 86400 x 0.125 x 30 GB-s
        m.resident.finish();
        let c = Cost::of(&m, &pricing);
        let gb_s = 100.0 * 86_400.0 * 0.125 * 30.0;
        assert!((c.do_gb_s_month - gb_s).abs() < 1e-6);
        let want =
            29.0 * 0.15 + (gb_s - 400_000.0) / 1e6 * 12.5 + 20.0 * 0.30 + 30.0 * 0.02 + 20.0 * 0.36;
        assert!(
            (c.usd_month - want).abs() < 1e-9,
            "{} vs {want}",
            c.usd_month
        );
        // Item by item, by hand.
        assert!((c.do_requests_usd - 29.0 * 0.15).abs() < 1e-9);
        assert!((c.do_duration_usd - (gb_s - 400_000.0) / 1e6 * 12.5).abs() < 1e-9);
        assert!((c.worker_requests_usd - 20.0 * 0.30).abs() < 1e-9);
        assert!((c.cpu_usd - 30.0 * 0.02).abs() < 1e-9);
        assert!((c.r2_usd - 20.0 * 0.36).abs() < 1e-9);
    }
}
