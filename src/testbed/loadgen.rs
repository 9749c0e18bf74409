//! The open-loop load generator: sends each planned request at its time,
//! never waiting for replies to send the next, with at most `max_in_flight`
//! requests outstanding (a request due while the bound is reached is logged
//! as `skipped`, not delayed) and nothing sent after `max_duration`.
//!
//! Invariant: every planned request gets exactly one [`Record`], in plan
//! order; the run ends at most about `max_duration + timeout` after it
//! started.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::http;
use super::log::Record;
use crate::engine::stream;
use crate::workload::{ArrivalProcess, TraceReplay};
use crate::workload::{TraceSpread, TraceTenant};

/// One request to send: when (after the run's start), to which tenant, and
/// how many queries it runs (`repeat`, > 1 for execution-time probes).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub at: Duration,
    pub tenant: String,
    pub repeat: u32,
}

/// Bounds of a run.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_in_flight: usize,
    /// Per request, connect to the end of the response.
    pub timeout: Duration,
    /// No request is sent later than this after the start.
    pub max_duration: Duration,
}

/// The requests of a trace CSV (`timestamp_ms,tenant`, as `arrivals =
/// "trace"` replays it: time zero at the first row), at most `max_requests`.
/// Tenants are named `t<index>` in order of first appearance, as the
/// simulator numbers them.
pub fn plan_from_trace(path: &Path, max_requests: usize) -> anyhow::Result<Vec<Planned>> {
    let mut replay = TraceReplay::open(path, TraceTenant::Function, TraceSpread::Uniform);
    if let Some(e) = replay.error() {
        anyhow::bail!("{e}");
    }
    // A requests-layout trace draws nothing at random; the stream is only
    // what the interface asks for.
    let mut rng = stream(0, &[0]);
    let mut plan = Vec::new();
    let mut now = 0;
    while plan.len() < max_requests {
        let Some(a) = replay.next(now, &mut rng) else {
            break;
        };
        now = a.time;
        plan.push(Planned {
            at: Duration::from_nanos(a.time),
            tenant: format!("t{}", a.tenant),
            repeat: 1,
        });
    }
    if let Some(e) = replay.error() {
        anyhow::bail!("{e}");
    }
    if plan.is_empty() {
        anyhow::bail!("{}: the trace has no requests", path.display());
    }
    Ok(plan)
}

/// The calibration probe, closed-loop so that each phase is seen alone
/// whatever the machine's load: `tenants` fresh DOs one after another, each
/// sent its first request, then (each after the previous answer and a short
/// pause) two single queries and one `repeat`-query request that measures
/// execution time. The next tenant starts only when the previous one is
/// done, so no DO's start overlaps another's requests.
pub fn probe(
    addr: SocketAddr,
    tenants: usize,
    repeat: u32,
    timeout: Duration,
    progress: &dyn Fn(u64),
) -> Vec<Record> {
    let start = Instant::now();
    let mut records = Vec::with_capacity(tenants * 4);
    for i in 0..tenants {
        for (pause_ms, r) in [(0, 1), (200, 1), (100, 1), (100, repeat)] {
            std::thread::sleep(Duration::from_millis(pause_ms));
            let tenant = format!("probe{i}");
            let sent_at = Instant::now();
            let ms = sent_at.duration_since(start).as_secs_f64() * 1e3;
            let result = http::get(addr, &format!("/{tenant}?repeat={r}"), timeout);
            records.push(record(ms, ms, tenant, r, sent_at, result));
            progress(records.len() as u64);
        }
    }
    records
}

fn record(
    sched_ms: f64,
    send_ms: f64,
    tenant: String,
    repeat: u32,
    sent_at: Instant,
    result: Result<http::Response, http::HttpError>,
) -> Record {
    let latency_ms = sent_at.elapsed().as_secs_f64() * 1e3;
    match result {
        Ok(response) => Record {
            sched_ms,
            send_ms,
            tenant,
            repeat,
            latency_ms,
            status: response.status,
            error: "",
            response: Some(response),
        },
        Err(e) => Record {
            sched_ms,
            send_ms,
            tenant,
            repeat,
            latency_ms: f64::NAN,
            status: 0,
            error: e.name(),
            response: None,
        },
    }
}

/// Sends `plan` to `addr` (requests `GET /<tenant>?repeat=N`) and returns
/// one record per planned request, in plan order. `progress` is told of
/// each request sent.
pub fn run(
    addr: SocketAddr,
    plan: &[Planned],
    bounds: Bounds,
    progress: &dyn Fn(u64),
) -> Vec<Record> {
    let start = Instant::now();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<(usize, Record)>();
    let mut records: Vec<Option<Record>> = vec![None; plan.len()];
    let mut sent = 0u64;
    for (index, p) in plan.iter().enumerate() {
        let sched_ms = p.at.as_secs_f64() * 1e3;
        let unsent = |error: &'static str| Record {
            sched_ms,
            send_ms: f64::NAN,
            tenant: p.tenant.clone(),
            repeat: p.repeat,
            latency_ms: f64::NAN,
            status: 0,
            error,
            response: None,
        };
        if p.at > bounds.max_duration {
            records[index] = Some(unsent("late"));
            continue;
        }
        if let Some(wait) = p.at.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        if in_flight.load(Ordering::Acquire) >= bounds.max_in_flight {
            records[index] = Some(unsent("skipped"));
            continue;
        }
        in_flight.fetch_add(1, Ordering::AcqRel);
        let (tx, flight) = (tx.clone(), Arc::clone(&in_flight));
        let target = format!("/{}?repeat={}", p.tenant, p.repeat);
        let (tenant, repeat, timeout) = (p.tenant.clone(), p.repeat, bounds.timeout);
        let spawned = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || {
                let sent_at = Instant::now();
                let send_ms = sent_at.duration_since(start).as_secs_f64() * 1e3;
                let result = http::get(addr, &target, timeout);
                flight.fetch_sub(1, Ordering::AcqRel);
                let record = record(sched_ms, send_ms, tenant, repeat, sent_at, result);
                let _ = tx.send((index, record));
            });
        if spawned.is_err() {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            records[index] = Some(unsent("spawn"));
            continue;
        }
        sent += 1;
        progress(sent);
    }
    drop(tx);
    for (index, record) in rx {
        records[index] = Some(record);
    }
    records
        .into_iter()
        .zip(plan)
        .map(|(r, p)| {
            r.unwrap_or_else(|| Record {
                sched_ms: p.at.as_secs_f64() * 1e3,
                send_ms: f64::NAN,
                tenant: p.tenant.clone(),
                repeat: p.repeat,
                latency_ms: f64::NAN,
                status: 0,
                error: "lost",
                response: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn trace_plan_names_tenants_by_first_appearance_from_time_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "timestamp_ms,tenant\n1000,b\n1500.5,a\n2000,b\n").unwrap();
        let plan = plan_from_trace(&path, 10).unwrap();
        let got: Vec<(u128, &str)> = plan
            .iter()
            .map(|p| (p.at.as_micros(), p.tenant.as_str()))
            .collect();
        assert_eq!(got, vec![(0, "t0"), (500_500, "t1"), (1_000_000, "t0")]);
        assert_eq!(plan_from_trace(&path, 2).unwrap().len(), 2);
        std::fs::write(&path, "timestamp_ms,tenant\n").unwrap();
        assert!(plan_from_trace(&path, 10).is_err());
    }

    /// A server that answers after `delay`, for `n` connections.
    fn slow_server(delay: Duration, n: usize) -> (SocketAddr, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let mut workers = Vec::new();
            for _ in 0..n {
                let (mut s, _) = listener.accept().unwrap();
                workers.push(std::thread::spawn(move || {
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf);
                    std::thread::sleep(delay);
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nx-path: local\r\nx-req: 1\r\n\r\n");
                }));
            }
            for w in workers {
                w.join().unwrap();
            }
        });
        (addr, handle)
    }

    #[test]
    fn open_loop_sends_on_schedule_and_bounds_what_is_in_flight() {
        // Five requests due at once to a server slow to answer: with two in
        // flight at most, the other three are skipped, not queued.
        let (addr, server) = slow_server(Duration::from_millis(300), 2);
        let plan: Vec<Planned> = (0..5)
            .map(|i| Planned {
                at: Duration::ZERO,
                tenant: format!("t{i}"),
                repeat: 1,
            })
            .collect();
        let bounds = Bounds {
            max_in_flight: 2,
            timeout: Duration::from_secs(5),
            max_duration: Duration::from_secs(10),
        };
        let records = run(addr, &plan, bounds, &|_| {});
        server.join().unwrap();
        let answered = records.iter().filter(|r| r.status == 200).count();
        let skipped = records.iter().filter(|r| r.error == "skipped").count();
        assert_eq!((answered, skipped), (2, 3));
        assert!(records
            .iter()
            .filter(|r| r.status == 200)
            .all(|r| r.latency_ms >= 300.0));
        assert_eq!(
            records[0].response.as_ref().unwrap().header("x-path"),
            Some("local")
        );
    }

    #[test]
    fn the_probe_is_closed_loop_four_requests_a_tenant() {
        let (addr, server) = slow_server(Duration::from_millis(50), 8);
        let records = probe(addr, 2, 30, Duration::from_secs(5), &|_| {});
        server.join().unwrap();
        assert_eq!(records.len(), 8);
        assert_eq!(
            records.iter().map(|r| r.repeat).collect::<Vec<_>>(),
            vec![1, 1, 1, 30, 1, 1, 1, 30]
        );
        assert_eq!(records[4].tenant, "probe1");
        // Each request is sent after the previous answer (>= 50 ms later).
        for w in records.windows(2) {
            assert!(w[1].send_ms >= w[0].send_ms + w[0].latency_ms);
        }
    }

    #[test]
    fn nothing_is_sent_past_the_time_bound() {
        let plan = vec![Planned {
            at: Duration::from_secs(3600),
            tenant: "t0".into(),
            repeat: 1,
        }];
        let bounds = Bounds {
            max_in_flight: 1,
            timeout: Duration::from_secs(1),
            max_duration: Duration::from_secs(1),
        };
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let records = run(addr, &plan, bounds, &|_| {});
        assert_eq!(records[0].error, "late");
    }
}
