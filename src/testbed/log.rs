//! The load generator's log: one line per request, after a header of
//! `# key = value` lines saying what produced it (workerd and PGLite
//! versions, machine, date, load), then a CSV header and the rows in
//! schedule order. [`crate::validation::results`] reads it back.
//!
//! Invariant: a log is complete only if its last line is [`END_MARK`]; a
//! reader refuses one without it (an interrupted run).

use std::fmt::Write as _;

use super::http::Response;

/// The first line of every log.
pub const MAGIC: &str = "# dofleet testbed log v1";

/// The last line of a complete log.
pub const END_MARK: &str = "# end";

/// The columns, in order. Times are milliseconds; an empty cell is "not
/// reported" (a header the worker did not send, or no response).
pub const COLUMNS: &[&str] = &[
    "sched_ms",
    "send_ms",
    "tenant",
    "repeat",
    "latency_ms",
    "status",
    "error",
    "path",
    "req",
    "life",
    "start_ms",
    "init_ms",
    "exec_ms",
    "delegate_ms",
    "compute_exec_ms",
    "compute_init_ms",
    "lazy_state",
];

/// The response headers logged, in column order after `error`.
const HEADERS: &[&str] = &[
    "x-path",
    "x-req",
    "x-life",
    "x-start-ms",
    "x-init-ms",
    "x-exec-ms",
    "x-delegate-ms",
    "x-compute-exec-ms",
    "x-compute-init-ms",
    "x-lazy-state",
];

/// What happened to one planned request.
#[derive(Debug, Clone)]
pub struct Record {
    /// When it was due, ms after the run's start.
    pub sched_ms: f64,
    /// When it was sent (NaN: not sent).
    pub send_ms: f64,
    pub tenant: String,
    pub repeat: u32,
    /// Send to the end of the response, ms (NaN: no response).
    pub latency_ms: f64,
    /// HTTP status, 0 without a response.
    pub status: u16,
    /// Empty, or why there is no response (`timeout`, `connect`, ...,
    /// `skipped` when the in-flight bound was reached, `late` past the time
    /// bound).
    pub error: &'static str,
    pub response: Option<Response>,
}

fn ms(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.3}")
    } else {
        String::new()
    }
}

/// A header cell: digits, letters and a few marks only, so no value can
/// break the CSV.
fn cell(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(40)
        .collect()
}

/// The whole log as text: `meta` as header lines, then the records.
pub fn render(meta: &[(String, String)], records: &[Record]) -> String {
    let mut out = String::with_capacity(128 * (records.len() + 16));
    out.push_str(MAGIC);
    out.push('\n');
    for (key, value) in meta {
        let value = value.replace(['\n', '\r'], " ");
        let _ = writeln!(out, "# {key} = {value}");
    }
    out.push_str(&COLUMNS.join(","));
    out.push('\n');
    for r in records {
        let _ = write!(
            out,
            "{},{},{},{},{},{},{}",
            ms(r.sched_ms),
            ms(r.send_ms),
            cell(&r.tenant),
            r.repeat,
            ms(r.latency_ms),
            r.status,
            r.error
        );
        for h in HEADERS {
            out.push(',');
            if let Some(v) = r.response.as_ref().and_then(|resp| resp.header(h)) {
                out.push_str(&cell(v));
            }
        }
        out.push('\n');
    }
    out.push_str(END_MARK);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_record_with_every_column() {
        let response = Response {
            status: 200,
            headers: vec![
                ("x-path".into(), "local".into()),
                ("x-req".into(), "2".into()),
                ("x-lazy-state".into(), "fail,ed\n".into()),
            ],
        };
        let records = vec![
            Record {
                sched_ms: 0.0,
                send_ms: 0.25,
                tenant: "t1".into(),
                repeat: 1,
                latency_ms: 3.5,
                status: 200,
                error: "",
                response: Some(response),
            },
            Record {
                sched_ms: 10.0,
                send_ms: f64::NAN,
                tenant: "t2".into(),
                repeat: 1,
                latency_ms: f64::NAN,
                status: 0,
                error: "skipped",
                response: None,
            },
        ];
        let text = render(&[("workerd".into(), "1.2".into())], &records);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], MAGIC);
        assert_eq!(lines[1], "# workerd = 1.2");
        assert_eq!(lines[2], COLUMNS.join(","));
        assert_eq!(
            lines[3],
            "0.000,0.250,t1,1,3.500,200,,local,2,,,,,,,,failed"
        );
        assert_eq!(lines[4], "10.000,,t2,1,,0,skipped,,,,,,,,,,");
        assert_eq!(lines[5], END_MARK);
        for line in &lines[2..5] {
            assert_eq!(line.split(',').count(), COLUMNS.len());
        }
    }
}
