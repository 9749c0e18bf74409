//! `dofleet._native`: the compiled half of the Python package. It calls the
//! core crate only through its facade, [`dofleet::api`]; `dofleet/__init__.py`
//! builds the public API (DataFrames, progress bars) on top.
//!
//! Invariants:
//! - no Rust panic crosses into Python: work runs under `catch_unwind`, and
//!   a panic becomes `dofleet.InternalError`;
//! - long work runs on its own thread with the GIL released, while the
//!   calling thread polls (every [`POLL`]) for signals and reports progress:
//!   a first KeyboardInterrupt (Ctrl-C, a notebook's stop button) sets the
//!   run's cancellation flag and waits for the runs in progress to stop,
//!   then raises; a second one raises at once;
//! - errors keep the CLI's message, word for word.

mod convert;

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use dofleet::api::{self, ApiError, ExperimentInput, PlanRequest, RunControl};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use convert::{fit_to_dict, outcome_to_dict, plan_to_dict, python_to_toml, toml_to_python};

pyo3::create_exception!(
    _native,
    DofleetError,
    PyException,
    "Base class of dofleet's errors."
);
pyo3::create_exception!(
    _native,
    ConfigError,
    DofleetError,
    "A configuration error: the message names the file (or `<dict>`, `<toml string>`, `--set KEY=VALUE`), line, column, key and the nearest valid key, as the CLI prints it; `source`, `line`, `column` and `key` are attributes."
);
pyo3::create_exception!(
    _native,
    InputError,
    DofleetError,
    "A bad argument outside a configuration (an objective, a search dimension, a name)."
);
pyo3::create_exception!(
    _native,
    TraceError,
    DofleetError,
    "A trace that cannot be read or fitted: the message names the file and line."
);
pyo3::create_exception!(
    _native,
    RunError,
    DofleetError,
    "Runs that could not be run (threads, a workload failing mid-run)."
);
pyo3::create_exception!(
    _native,
    InternalError,
    DofleetError,
    "A bug in dofleet (a Rust panic, caught): please report it with the message."
);

/// How often the waiting thread wakes to look for signals and progress.
const POLL: Duration = Duration::from_millis(100);

/// A loaded experiment: every point validated, ready to run.
#[pyclass(frozen, module = "dofleet._native")]
struct Experiment {
    inner: Arc<dofleet::experiment::Experiment>,
}

#[pymethods]
impl Experiment {
    /// The experiment's name (its `name` key, or the file's stem).
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The resolved experiment as TOML: every default explicit (what the
    /// CLI writes to `config.toml`).
    #[getter]
    fn config_toml(&self) -> String {
        self.inner.resolved.clone()
    }

    /// The resolved experiment as a dict.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        toml_text_to_python(py, &self.inner.resolved)
    }

    /// The number of sweep points.
    #[getter]
    fn points(&self) -> usize {
        self.inner.points.len()
    }

    /// The number of runs: points x architectures x replications.
    #[getter]
    fn runs_total(&self) -> usize {
        self.inner.runs().len()
    }

    /// The swept values of each point, as `{dotted key: value as text}`.
    #[getter]
    fn swept(&self) -> Vec<Vec<(String, String)>> {
        self.inner.points.iter().map(|p| p.swept.clone()).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<dofleet.Experiment {:?}: {} point(s), {} runs>",
            self.inner.name,
            self.inner.points.len(),
            self.inner.runs().len()
        )
    }
}

/// The exception of an API error, with the CLI's message.
fn to_py_err(py: Python<'_>, error: ApiError) -> PyErr {
    let message = error.to_string();
    match error {
        ApiError::Config(e) => {
            let err = ConfigError::new_err(message);
            let value = err.value(py);
            // Attributes for programs; the message says it all for people.
            let _ = value.setattr("source", e.source());
            let _ = value.setattr("line", e.line());
            let _ = value.setattr("column", e.column());
            let _ = value.setattr("key", e.key());
            err
        }
        ApiError::Input(_) => InputError::new_err(message),
        ApiError::Trace(_) => TraceError::new_err(message),
        ApiError::Run(_) => RunError::new_err(message),
        // Only after a cancellation, whose KeyboardInterrupt `supervise` raises instead.
        ApiError::Interrupted => pyo3::exceptions::PyKeyboardInterrupt::new_err(message),
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    format!("dofleet panicked: {what}")
}

/// Runs `work` on its own thread with the GIL released, polling for
/// signals and calling `tick` (progress) every [`POLL`]. A first interrupt
/// (or an exception from `tick`) sets `cancel` when there is one and waits
/// for `work` to return, then raises it; a second, or the first when there
/// is nothing to cancel, raises at once (`work` then finishes unseen).
fn supervise<T: Send + 'static>(
    py: Python<'_>,
    cancel: Option<Arc<AtomicBool>>,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    mut tick: impl FnMut(Python<'_>) -> PyResult<()>,
) -> PyResult<T> {
    let (sender, mut receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("dofleet".into())
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(work)).map_err(panic_message);
            // The receiver is gone only after a second interrupt.
            let _ = sender.send(outcome);
        })
        .map_err(|e| RunError::new_err(format!("could not start a thread: {e}")))?;
    let mut stopping: Option<PyErr> = None;
    loop {
        // A `Receiver` is not `Sync`: lend it to the GIL-free closure by value.
        let (back, received) = py.detach(move || {
            let received = receiver.recv_timeout(POLL);
            (receiver, received)
        });
        receiver = back;
        let interrupted = py.check_signals().and_then(|()| tick(py));
        if let Err(err) = interrupted {
            match (&cancel, &stopping) {
                (Some(flag), None) => {
                    flag.store(true, Ordering::SeqCst);
                    stopping = Some(err);
                }
                _ => return Err(err),
            }
        }
        match received {
            Ok(outcome) => {
                if let Some(err) = stopping {
                    return Err(err);
                }
                return match outcome {
                    Ok(Ok(value)) => Ok(value),
                    Ok(Err(error)) => Err(to_py_err(py, error)),
                    Err(message) => Err(InternalError::new_err(message)),
                };
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(InternalError::new_err("dofleet's worker thread vanished"))
            }
        }
    }
}

fn toml_text_to_python<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let table: toml::Table = text
        .parse()
        .map_err(|e| InternalError::new_err(format!("dofleet wrote TOML it cannot read: {e}")))?;
    toml_to_python(py, &toml::Value::Table(table))
}

/// Loads an experiment. `kind` is `default` (the embedded experiment),
/// `file` (`source` is a path) or `text` (`source` is an experiment file's
/// text, called `name` in errors). `sets` are `KEY=VALUE` as `--set`
/// takes them; `seed` is applied last, as `--set seed=N`.
#[pyfunction]
#[pyo3(signature = (kind, source=None, name=None, sets=Vec::new(), seed=None))]
fn load(
    py: Python<'_>,
    kind: &str,
    source: Option<String>,
    name: Option<String>,
    sets: Vec<String>,
    seed: Option<u64>,
) -> PyResult<Experiment> {
    let input = match (kind, source) {
        ("default", _) => ExperimentInput::Default,
        ("file", Some(path)) => ExperimentInput::File(PathBuf::from(path)),
        ("text", Some(text)) => ExperimentInput::Text {
            name: name.unwrap_or_else(|| "<toml string>".into()),
            text,
        },
        (other, _) => {
            return Err(InputError::new_err(format!(
                "load: unknown kind {other:?} or no source"
            )))
        }
    };
    let experiment = py.detach(|| guarded_plain(|| api::load(&input, &sets, seed)));
    let experiment = experiment.map_err(|e| unguard(py, e))?;
    Ok(Experiment {
        inner: Arc::new(experiment),
    })
}

/// A result of a call made without the GIL: the error kinds kept apart
/// until the GIL is back.
enum Failure {
    Api(ApiError),
    Panic(String),
}

fn guarded_plain<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(Failure::Api),
        Err(payload) => Err(Failure::Panic(panic_message(payload))),
    }
}

fn unguard(py: Python<'_>, failure: Failure) -> PyErr {
    match failure {
        Failure::Api(e) => to_py_err(py, e),
        Failure::Panic(message) => InternalError::new_err(message),
    }
}

/// Runs every run of `experiment` on `threads` threads (0: one per core).
/// `progress`, if given, is called as `progress(runs_done, runs_total,
/// requests_simulated)` from the calling thread while the run proceeds.
/// Returns a dict of the tables (as `{column: list}` dicts), the resolved
/// config and the manifest (as TOML and as dicts), and the counts.
#[pyfunction]
#[pyo3(signature = (experiment, threads=0, progress=None))]
fn run<'py>(
    py: Python<'py>,
    experiment: &Experiment,
    threads: usize,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let control = RunControl::default();
    let counts = control.counts.clone();
    let total = experiment.inner.runs().len();
    let inner = experiment.inner.clone();
    let worker_control = control.clone();
    let mut last = None;
    let outcome = supervise(
        py,
        Some(control.cancel.clone()),
        move || api::run(&inner, threads, &worker_control),
        |_| {
            let Some(callback) = &progress else {
                return Ok(());
            };
            let now = (
                counts.runs.load(Ordering::Acquire),
                counts.requests.load(Ordering::Relaxed),
            );
            if last != Some(now) {
                last = Some(now);
                callback.call1((now.0, total, now.1))?;
            }
            Ok(())
        },
    )?;
    if let Some(callback) = &progress {
        callback.call1((outcome.runs_done, total, outcome.simulated_requests))?;
    }
    outcome_to_dict(py, &outcome)
}

/// Plans capacity (`dofleet plan`): for each point and architecture, the
/// smallest `search` value (`hosts`, `memory`, `compute`) meeting every
/// objective in `slos` with one-sided `confidence`.
#[pyfunction]
#[pyo3(signature = (experiment, slos, search="hosts".to_string(), confidence=0.95, min=None, max=None, threads=0))]
#[allow(clippy::too_many_arguments)]
fn plan<'py>(
    py: Python<'py>,
    experiment: &Experiment,
    slos: Vec<String>,
    search: String,
    confidence: f64,
    min: Option<u64>,
    max: Option<u64>,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let request = PlanRequest {
        slos,
        search,
        confidence,
        min,
        max,
        threads,
    };
    let inner = experiment.inner.clone();
    let cancel = Arc::new(AtomicBool::new(false));
    let worker_cancel = cancel.clone();
    let outcome = supervise(
        py,
        Some(cancel),
        move || api::plan(&inner, &request, &worker_cancel),
        |_| Ok(()),
    )?;
    plan_to_dict(py, &outcome)
}

/// Fits a workload to a trace (`dofleet fit`).
#[pyfunction]
#[pyo3(signature = (trace, tenant="function".to_string(), spread="uniform".to_string(), seed=1))]
fn fit<'py>(
    py: Python<'py>,
    trace: PathBuf,
    tenant: String,
    spread: String,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let worker_cancel = cancel.clone();
    let (fitted, report) = supervise(
        py,
        Some(cancel),
        move || api::fit(&trace, &tenant, &spread, seed, &worker_cancel),
        |_| Ok(()),
    )?;
    fit_to_dict(py, &fitted, &report)
}

/// A Python dict (or list, number, string, bool) as TOML: a dict as a
/// document, anything else as a value (what `--set KEY=VALUE` takes).
#[pyfunction]
fn to_toml(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let value = python_to_toml(value)?;
    match value {
        toml::Value::Table(table) => toml::to_string(&table).map_err(|e| {
            to_py_err(
                py,
                ApiError::Input(format!("cannot write the dict as TOML: {e}")),
            )
        }),
        other => Ok(other.to_string()),
    }
}

/// Parses TOML text into a dict.
#[pyfunction]
fn from_toml<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let table: toml::Table = text
        .parse()
        .map_err(|e| InputError::new_err(format!("not TOML: {e}")))?;
    toml_to_python(py, &toml::Value::Table(table))
}

/// dofleet, a discrete-event simulator of latency across a fleet of
/// Cloudflare Durable Objects running PGLite: the compiled half of the
/// `dofleet` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DofleetError", py.get_type::<DofleetError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("TraceError", py.get_type::<TraceError>())?;
    m.add("RunError", py.get_type::<RunError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add_class::<Experiment>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(from_toml, m)?)?;
    Ok(())
}
