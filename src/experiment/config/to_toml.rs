//! [`Config::to_toml`]: the resolved configuration as TOML.
//!
//! Invariants: every key of the schema is written, with its value explicit
//! (architecture entries carry their `runtime_wasm_compile`); durations are
//! written so that they parse back to the same nanoseconds (`format_duration`
//! when it is exact, whole nanoseconds otherwise); floats use Rust's shortest
//! round-trip form; a lognormal is written as `mu`/`sigma`, the only form
//! that reproduces its parameters bit for bit. Loading the output over any
//! complete layer therefore gives back an equal [`Config`].

use std::fmt::Write as _;

use super::error::toml_quote;
use crate::dist::{standard_normal_quantile, Dist};
use crate::simulation::Config;
use crate::time::{format_duration, parse_duration, Nanos};

impl Config {
    /// The configuration as a complete TOML layer, every value explicit.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let w = &mut out;
        line(
            w,
            "# dofleet configuration, resolved: every value explicit.",
        );
        line(w, &format!("seed = {}", self.seed));
        line(w, &format!("replications = {}", self.replications));
        line(w, &format!("duration = {}", duration(self.duration)));
        line(w, &format!("warmup = {}", duration(self.warmup)));
        line(w, "architectures = [");
        for v in &self.architectures {
            line(
                w,
                &format!(
                    "  {{ architecture = \"{}\", runtime_wasm_compile = \"{}\" }},",
                    v.architecture.name(),
                    v.runtime_wasm_compile.name()
                ),
            );
        }
        line(w, "]");
        dist_entry(w, "query_exec", &self.query_exec);
        let enabled: Vec<String> = self
            .policies
            .enabled
            .iter()
            .map(|p| format!("\"{}\"", p.name()))
            .collect();
        line(w, &format!("policies = [{}]", enabled.join(", ")));

        let wl = &self.workload;
        section(w, "workload");
        line(w, &format!("tenants = {}", wl.tenants));
        line(w, &format!("zipf_s = {}", float(wl.zipf_s)));
        line(w, &format!("rate_rps = {}", float(wl.rate_rps)));
        line(w, &format!("arrivals = \"{}\"", wl.arrivals.name()));
        line(
            w,
            &format!(
                "trace = {}",
                toml_quote(&wl.trace.path.display().to_string())
            ),
        );
        line(w, &format!("trace_tenant = \"{}\"", wl.trace.tenant.name()));
        line(w, &format!("trace_spread = \"{}\"", wl.trace.spread.name()));
        let d = &wl.diurnal;
        section(w, "workload.diurnal");
        line(w, &format!("amplitude = {}", float(d.amplitude)));
        line(w, &format!("period = {}", duration(d.period)));
        line(w, &format!("peak = {}", duration(d.peak)));
        let profile: Vec<String> = d.profile.iter().map(|x| float(*x)).collect();
        line(w, &format!("profile = [{}]", profile.join(", ")));
        section(w, "workload.mmpp");
        line(w, "states = [");
        for state in &wl.mmpp.states {
            line(
                w,
                &format!(
                    "  {{ rate_rps = {}, mean_sojourn = {} }},",
                    float(state.rate_rps),
                    duration(state.mean_sojourn)
                ),
            );
        }
        line(w, "]");

        section(w, "do");
        dist_entry(w, "idle_timeout", &self.durable_object.idle_timeout);
        line(
            w,
            &format!(
                "load_keeps_alive = {}",
                self.durable_object.load_keeps_alive
            ),
        );

        section(w, "network");
        dist_entry(w, "client_rtt", &self.network.client_rtt);

        let p = &self.phases;
        section(w, "phases");
        dist_entry(w, "isolate_start", &p.isolate_start);
        dist_entry(w, "isolate_start_bundled", &p.isolate_start_bundled);
        dist_entry(w, "cache_check", &p.cache_check);
        dist_entry(w, "r2_fetch", &p.r2_fetch);
        dist_entry(w, "data_read", &p.data_read);
        dist_entry(w, "wasm_compile", &p.wasm_compile);
        dist_entry(w, "pglite_init", &p.pglite_init);
        dist_entry(w, "loader_isolate_start", &p.loader_isolate_start);
        dist_entry(w, "loader_compile", &p.loader_compile);

        section(w, "platform");
        line(
            w,
            &format!(
                "runtime_wasm_compile = \"{}\"",
                self.platform_runtime_wasm_compile.name()
            ),
        );

        section(w, "lazy");
        line(
            w,
            &format!("cache_hit_ratio = {}", float(self.lazy.cache_hit_ratio)),
        );
        line(w, &format!("parallel_fetch = {}", self.lazy.parallel_fetch));

        let c = &self.compute;
        section(w, "compute");
        dist_entry(w, "rtt", &c.rtt);
        dist_entry(w, "cold_start", &c.cold_start);
        dist_entry(w, "exec", &c.exec);
        dist_entry(w, "cpu_time", &c.cpu_time);
        line(w, &format!("idle_timeout = {}", duration(c.idle_timeout)));
        line(w, &format!("concurrency = {}", c.concurrency));
        line(w, &format!("max_instances = {}", c.max_instances));

        let m = &self.memory;
        section(w, "memory");
        line(w, &format!("do_base_mb = {}", float(m.do_base_mb)));
        line(w, &format!("bundle_mb = {}", float(m.bundle_mb)));
        line(w, &format!("runtime_mb = {}", float(m.runtime_mb)));

        let h = &self.hosts;
        section(w, "hosts");
        line(w, &format!("count = {}", h.count));
        line(w, &format!("memory_mb = {}", float(h.memory_mb)));
        line(w, &format!("when_full = \"{}\"", h.when_full.name()));

        let iso = &self.isolate;
        section(w, "isolate");
        line(w, &format!("dos_per_isolate = {}", iso.dos_per_isolate));
        line(
            w,
            &format!("memory_limit_mb = {}", float(iso.memory_limit_mb)),
        );
        let cpu: Vec<String> = iso.cpu.iter().map(|c| format!("\"{}\"", c.key())).collect();
        line(w, &format!("cpu_phases = [{}]", cpu.join(", ")));
        line(w, &format!("slice = {}", duration(iso.slice)));

        let pr = &self.pricing;
        section(w, "pricing");
        line(
            w,
            &format!("do_request_usd_per_m = {}", float(pr.do_request_usd_per_m)),
        );
        line(
            w,
            &format!(
                "do_requests_included_m = {}",
                float(pr.do_requests_included_m)
            ),
        );
        line(
            w,
            &format!("do_gb_s_usd_per_m = {}", float(pr.do_gb_s_usd_per_m)),
        );
        line(
            w,
            &format!("do_gb_s_included = {}", float(pr.do_gb_s_included)),
        );
        line(w, &format!("do_billed_mb = {}", float(pr.do_billed_mb)));
        line(
            w,
            &format!(
                "worker_request_usd_per_m = {}",
                float(pr.worker_request_usd_per_m)
            ),
        );
        line(
            w,
            &format!(
                "worker_requests_included_m = {}",
                float(pr.worker_requests_included_m)
            ),
        );
        line(
            w,
            &format!(
                "worker_cpu_ms_usd_per_m = {}",
                float(pr.worker_cpu_ms_usd_per_m)
            ),
        );
        line(
            w,
            &format!(
                "worker_cpu_ms_included_m = {}",
                float(pr.worker_cpu_ms_included_m)
            ),
        );
        line(
            w,
            &format!("r2_class_b_usd_per_m = {}", float(pr.r2_class_b_usd_per_m)),
        );
        line(
            w,
            &format!(
                "r2_class_b_included_m = {}",
                float(pr.r2_class_b_included_m)
            ),
        );

        let p = &self.policies;
        let pw = &p.prewarm;
        section(w, "prewarm");
        line(w, &format!("predictor = \"{}\"", pw.predictor.name()));
        line(w, &format!("interval = {}", duration(pw.interval)));
        line(w, &format!("top_k = {}", pw.top_k));
        line(w, &format!("window = {}", duration(pw.window)));
        line(
            w,
            &format!("histogram_bin = {}", duration(pw.histogram_bin)),
        );
        line(w, &format!("histogram_bins = {}", pw.histogram_bins));
        line(w, &format!("min_idle_samples = {}", pw.min_idle_samples));
        line(w, &format!("cv_threshold = {}", float(pw.cv_threshold)));
        line(
            w,
            &format!("out_of_range_max = {}", float(pw.out_of_range_max)),
        );
        line(
            w,
            &format!("fallback_keep_alive = {}", duration(pw.fallback_keep_alive)),
        );
        line(w, &format!("keep_resident = {}", pw.keep_resident));
        line(w, &format!("oracle_lead = {}", duration(pw.oracle_lead)));

        let tc = &p.tiered_cache;
        section(w, "tiered_cache");
        line(w, &format!("hosts = {}", tc.hosts));
        line(w, &format!("regions = {}", tc.regions));
        dist_entry(w, "local_hit", &tc.local_hit);
        dist_entry(w, "regional_hit", &tc.regional_hit);
        line(w, &format!("local_ttl = {}", duration(tc.local_ttl)));
        line(w, &format!("regional_ttl = {}", duration(tc.regional_ttl)));
        line(w, &format!("eviction = \"{}\"", tc.eviction.name()));

        section(w, "smart_delegation");
        line(
            w,
            &format!("margin = {}", duration(p.smart_delegation.margin)),
        );
        line(
            w,
            &format!("predictor = \"{}\"", p.smart_delegation.predictor.name()),
        );

        section(w, "partial_loading");
        line(
            w,
            &format!("core_fraction = {}", float(p.partial_loading.core_fraction)),
        );
        line(
            w,
            &format!(
                "extension_fraction = {}",
                float(p.partial_loading.extension_fraction)
            ),
        );
        out
    }
}

fn line(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{text}");
}

fn section(out: &mut String, name: &str) {
    line(out, "");
    line(out, &format!("[{name}]"));
}

/// A duration string that parses back to exactly `ns`.
pub(crate) fn exact_duration(ns: Nanos) -> String {
    let short = format_duration(ns);
    if parse_duration(&short) == Ok(ns) {
        short
    } else {
        format!("{ns}ns")
    }
}

fn duration(ns: Nanos) -> String {
    toml_quote(&exact_duration(ns))
}

/// A float as TOML, parsing back to the same bits (values are finite after
/// validation; the non-finite arms keep the output valid TOML regardless).
pub(crate) fn float(x: f64) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x:?}")
    }
}

/// Rounds a non-negative float parameter back to its nanoseconds.
fn float_nanos(x: f64) -> Nanos {
    // Saturating conversion; the values came from `Nanos` in the loader.
    x.round() as Nanos
}

fn dist_entry(out: &mut String, key: &str, dist: &Dist) {
    if let Dist::LogNormal { mu, sigma } = *dist {
        let at = |p: f64| {
            exact_duration(float_nanos(
                (mu + sigma * standard_normal_quantile(p)).exp(),
            ))
        };
        line(
            out,
            &format!(
                "# {key}: lognormal with p50 ~ {}, p99 ~ {}",
                at(0.5),
                at(0.99)
            ),
        );
    }
    line(out, &format!("{key} = {}", dist_value(dist)));
}

/// A duration spec: a constant as a string, anything else as a table.
fn dist_value(dist: &Dist) -> String {
    match dist {
        Dist::Constant(v) => duration(*v),
        Dist::Uniform { min, max } => format!(
            "{{ dist = \"uniform\", min = {}, max = {} }}",
            duration(*min),
            duration(*max)
        ),
        Dist::Exponential { mean } => {
            format!("{{ dist = \"exponential\", mean = {} }}", duration(*mean))
        }
        Dist::LogNormal { mu, sigma } => format!(
            "{{ dist = \"lognormal\", mu = {}, sigma = {} }}",
            float(*mu),
            float(*sigma)
        ),
        Dist::TruncatedNormal { mean, sd } => format!(
            "{{ dist = \"normal\", mean = {}, sd = {} }}",
            duration(float_nanos(*mean)),
            duration(float_nanos(*sd))
        ),
        Dist::Empirical(samples) => {
            let samples: Vec<String> = samples.iter().map(|s| duration(*s)).collect();
            format!(
                "{{ dist = \"empirical\", samples = [{}] }}",
                samples.join(", ")
            )
        }
    }
}
