//! Conversions between the facade's values and Python objects: TOML values
//! both ways, tables as `{column: list}` dicts, and the outcomes of run,
//! plan and fit as dicts (`dofleet/__init__.py` wraps them in classes).

use dofleet::api::{Cells, Outcome, PlanOutcome, Table};
use dofleet::workload::fit::TraceFit;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use super::{toml_text_to_python, InputError};

/// A TOML value as Python: tables as dicts, arrays as lists, datetimes as
/// their text.
pub fn toml_to_python<'py>(py: Python<'py>, value: &toml::Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        toml::Value::String(s) => s.into_pyobject(py)?.into_any(),
        toml::Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        toml::Value::Float(f) => f.into_pyobject(py)?.into_any(),
        toml::Value::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
        toml::Value::Datetime(d) => d.to_string().into_pyobject(py)?.into_any(),
        toml::Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(toml_to_python(py, item)?)?;
            }
            list.into_any()
        }
        toml::Value::Table(table) => {
            let dict = PyDict::new(py);
            for (key, item) in table {
                dict.set_item(key, toml_to_python(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A Python value as TOML: dicts (string keys) as tables, lists and tuples
/// as arrays, and bools, ints, floats and strings. `None` has no TOML form.
pub fn python_to_toml(value: &Bound<'_, PyAny>) -> PyResult<toml::Value> {
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        let int: i64 = value.extract().map_err(|_| {
            InputError::new_err(format!("{value}: TOML integers are 64-bit; this is larger"))
        })?;
        return Ok(toml::Value::Integer(int));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.extract::<String>()?));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (key, item) in dict.iter() {
            let key: String = key.extract().map_err(|_| {
                PyTypeError::new_err(format!("config keys must be strings; found {key:?}"))
            })?;
            table.insert(key, python_to_toml(&item)?);
        }
        return Ok(toml::Value::Table(table));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value
            .try_iter()?
            .map(|item| python_to_toml(&item?))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(toml::Value::Array(items));
    }
    if value.is_none() {
        return Err(InputError::new_err(
            "None has no TOML form: leave the key out to keep its default",
        ));
    }
    Err(PyTypeError::new_err(format!(
        "cannot write a {} as TOML (use dicts, lists, str, int, float, bool)",
        value.get_type().name()?
    )))
}

/// A table as `{column: list}`, columns in order.
pub fn table_to_dict<'py>(py: Python<'py>, table: &Table) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for column in &table.columns {
        let list = match &column.cells {
            Cells::Text(v) => PyList::new(py, v)?,
            Cells::Int(v) => PyList::new(py, v)?,
            Cells::Bool(v) => PyList::new(py, v)?,
            Cells::Float(v) => PyList::new(py, v)?,
        };
        dict.set_item(&column.name, list)?;
    }
    Ok(dict)
}

/// A run's outcome as a dict.
pub fn outcome_to_dict<'py>(py: Python<'py>, outcome: &Outcome) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("summary", table_to_dict(py, &outcome.summary)?)?;
    dict.set_item("runs", table_to_dict(py, &outcome.runs)?)?;
    dict.set_item("latency_cdf", table_to_dict(py, &outcome.latency_cdf)?)?;
    dict.set_item("config_toml", &outcome.config_toml)?;
    dict.set_item("config", toml_text_to_python(py, &outcome.config_toml)?)?;
    dict.set_item("manifest_toml", &outcome.manifest_toml)?;
    dict.set_item("manifest", toml_text_to_python(py, &outcome.manifest_toml)?)?;
    dict.set_item("interrupted", outcome.interrupted)?;
    dict.set_item("runs_done", outcome.runs_done)?;
    dict.set_item("runs_total", outcome.runs_total)?;
    dict.set_item("simulated_requests", outcome.simulated_requests)?;
    Ok(dict)
}

/// A plan as a dict.
pub fn plan_to_dict<'py>(py: Python<'py>, plan: &PlanOutcome) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("plan", table_to_dict(py, &plan.plan)?)?;
    dict.set_item("evaluations", table_to_dict(py, &plan.evaluations)?)?;
    dict.set_item("text", &plan.text)?;
    Ok(dict)
}

/// Nanoseconds as seconds.
fn seconds(nanos: u64) -> f64 {
    nanos as f64 / 1e9
}

/// A trace's fit as a dict; times in seconds.
pub fn fit_to_dict<'py>(
    py: Python<'py>,
    fit: &TraceFit,
    report: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("layout", fit.layout)?;
    dict.set_item("tenants", fit.tenants)?;
    dict.set_item("requests", fit.requests)?;
    dict.set_item("span_s", seconds(fit.span))?;
    dict.set_item("rate_rps", fit.rate_rps)?;
    match &fit.zipf {
        Some(z) => {
            let zipf = PyDict::new(py);
            zipf.set_item("s", z.s)?;
            zipf.set_item("se", z.se)?;
            zipf.set_item("ci95", (z.ci95.0, z.ci95.1))?;
            dict.set_item("zipf", zipf)?;
        }
        None => dict.set_item("zipf", py.None())?,
    }
    dict.set_item("hour_counts", &fit.hour_counts)?;
    dict.set_item("profile", &fit.profile)?;
    dict.set_item("gaps", fit.gaps)?;
    let gaps: Vec<(f64, f64)> = fit
        .gap_quantiles
        .iter()
        .map(|&(q, gap)| (q, seconds(gap)))
        .collect();
    dict.set_item("gap_quantiles_s", gaps)?;
    let cold: Vec<(f64, f64)> = fit
        .cold_fractions
        .iter()
        .map(|&(timeout, fraction)| (seconds(timeout), fraction))
        .collect();
    dict.set_item("cold_fractions", cold)?;
    dict.set_item("report", report)?;
    Ok(dict)
}
