//! The observed cold-start timeline: one tenant's first DO life under each
//! architecture of a point, as the simulation saw it (its start plan and the
//! requests that followed), for the report to draw.
//!
//! The point's configuration is simulated again for its first 30 s with an
//! observer. All architectures see the same arrivals (common random
//! numbers), so every architecture follows the same tenant: the
//! earliest-started one with about [`TARGET_REQUESTS`] requests in the 2.5 s
//! after its start. Only that tenant's life is kept.

use std::collections::HashMap;

use super::Experiment;
use crate::architectures::{ArchitectureVariant, StartPlan};
use crate::simulation::Config;
use crate::simulation::{simulate_observed, Observer, RequestRecord, RunIdentity};
use crate::time::{Nanos, SECOND};

/// The simulated span: enough for the first starts and their loads.
const SIMULATED: Nanos = 30 * SECOND;
/// Requests recorded after a tenant's first start, at most.
const WINDOW: Nanos = 5 * SECOND;
const MAX_RECORDED: usize = 40;
/// The tenant chosen has about this many requests in [`CHOICE_WINDOW`].
pub const TARGET_REQUESTS: usize = 8;
const CHOICE_WINDOW: Nanos = 2_500_000_000;

/// A tenant's first life, as observed.
#[derive(Debug, Clone)]
pub struct Trace {
    pub start: Nanos,
    pub plan: StartPlan,
    /// At most [`MAX_RECORDED`], in the order their fates were decided.
    pub requests: Vec<RequestRecord>,
    /// Evicted (or restarted): later requests belong to another life.
    closed: bool,
}

/// Records each tenant's first start and the requests that follow it.
#[derive(Debug, Default)]
struct Recorder {
    traces: HashMap<u32, Trace>,
}

impl Observer for Recorder {
    fn request(&mut self, r: &RequestRecord) {
        if let Some(t) = self.traces.get_mut(&r.tenant) {
            if !t.closed && r.arrival < t.start + WINDOW && t.requests.len() < MAX_RECORDED {
                t.requests.push(*r);
            }
        }
    }

    fn start(&mut self, tenant: u32, at: Nanos, plan: &StartPlan) {
        match self.traces.get_mut(&tenant) {
            Some(t) => t.closed = true,
            None => {
                self.traces.insert(
                    tenant,
                    Trace {
                        start: at,
                        plan: *plan,
                        requests: Vec::new(),
                        closed: false,
                    },
                );
            }
        }
    }

    fn evict(&mut self, tenant: u32, _at: Nanos) {
        if let Some(t) = self.traces.get_mut(&tenant) {
            t.closed = true;
        }
    }
}

/// The tenant to follow: close to [`TARGET_REQUESTS`] requests soon after
/// its start, earliest first.
fn choose_tenant(traces: &HashMap<u32, Trace>) -> Option<u32> {
    traces
        .iter()
        .map(|(&k, t)| {
            let n = t
                .requests
                .iter()
                .filter(|r| r.arrival < t.start + CHOICE_WINDOW)
                .count();
            (n.abs_diff(TARGET_REQUESTS), t.start, k)
        })
        .min()
        .map(|(_, _, k)| k)
}

/// One point's observed cold start: the tenant followed and its first life
/// under each architecture that started it.
#[derive(Debug, Clone)]
pub struct ObservedTimeline {
    pub tenant: u32,
    pub lives: Vec<(ArchitectureVariant, Trace)>,
}

/// Simulates the first seconds of `config` under each of its architectures
/// and follows one tenant's cold start (None if no DO starts in that time).
pub fn observe_timeline(config: &Config, id: RunIdentity) -> Option<ObservedTimeline> {
    let mut config = config.clone();
    config.duration = config.duration.min(SIMULATED);
    config.warmup = 0;
    let traces: Vec<(ArchitectureVariant, HashMap<u32, Trace>)> = config
        .architectures
        .iter()
        .map(|&variant| {
            let mut recorder = Recorder::default();
            simulate_observed(&config, variant, id, &mut recorder);
            (variant, recorder.traces)
        })
        .collect();
    let tenant = choose_tenant(&traces.first()?.1)?;
    let lives = traces
        .into_iter()
        .filter_map(|(v, mut t)| t.remove(&tenant).map(|trace| (v, trace)))
        .collect();
    Some(ObservedTimeline { tenant, lives })
}

/// The observed timeline of every point of `experiment` (replication 0), by
/// point index.
pub fn observe_timelines(experiment: &Experiment) -> Vec<Option<ObservedTimeline>> {
    experiment
        .points
        .iter()
        .map(|p| {
            let id = RunIdentity {
                seed: p.config.seed,
                replication: 0,
            };
            observe_timeline(&p.config, id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::load_default;

    #[test]
    fn every_architecture_follows_the_same_tenant_from_its_first_request() {
        let config = load_default().unwrap();
        let id = RunIdentity {
            seed: config.seed,
            replication: 0,
        };
        let t = observe_timeline(&config, id).unwrap();
        assert_eq!(t.lives.len(), config.architectures.len());
        for (v, life) in &t.lives {
            assert!(!life.requests.is_empty(), "{v:?}");
            assert!(life.requests.len() <= MAX_RECORDED);
            assert!(life.requests.iter().all(|r| r.tenant == t.tenant));
            assert!(life
                .requests
                .iter()
                .all(|r| r.arrival < life.start + WINDOW));
        }
    }
}
