//! The load generator that drives the real testbed (`testbed/`: Durable
//! Objects running PGLite on workerd) with dofleet's own schedules: the
//! arrivals of an experiment written as a trace ([`export`]), or the
//! calibration probe ([`loadgen::probe_plan`]); sent open-loop over a
//! minimal HTTP/1.1 client ([`http`]) and logged one line per request
//! ([`log`]).

pub mod export;
pub mod http;
pub mod loadgen;
pub mod log;
