"""Configs as dicts and TOML strings; errors as exceptions carrying the
CLI's message (file, line, column, key, nearest valid key), never a crash."""

import struct
import sys

import pytest

import dofleet

SMALL_DICT = {"duration": "2min", "replications": 2, "workload": {"tenants": 300}}
SMALL_TOML = 'duration = "2min"\nreplications = 2\n\n[workload]\ntenants = 300\n'


def summary_columns(results):
    """The summary's columns, floats as their 8 bytes (so NaN equals NaN)."""
    table = results.tables["summary"]
    return {n: [struct.pack("<d", v) if isinstance(v, float) else v for v in table[n]] for n in table.columns}


def test_a_dict_a_toml_string_and_a_file_are_the_same_experiment(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML)
    from_dict = dofleet.run(SMALL_DICT, progress=False)
    from_text = dofleet.run(SMALL_TOML, progress=False)
    from_file = dofleet.run(path, progress=False)
    from_str_path = dofleet.run(str(path), progress=False)
    assert summary_columns(from_dict) == summary_columns(from_text)
    assert summary_columns(from_dict) == summary_columns(from_file)
    assert summary_columns(from_file) == summary_columns(from_str_path)
    assert from_file.manifest["experiment"] == "small"
    assert from_dict.config["workload"]["tenants"] == 300


def test_sets_take_python_values_and_cli_strings():
    a = dofleet.load(SMALL_DICT, set={"workload.tenants": 400, "do.idle_timeout": "70s", "architectures": ["thin"]})
    b = dofleet.load(SMALL_DICT, set=["workload.tenants=400", "do.idle_timeout=70s", 'architectures=["thin"]'])
    assert a.config_toml == b.config_toml
    assert a.config["workload"]["tenants"] == 400
    assert [v["architecture"] for v in a.config["architectures"]] == ["thin"]
    # An Experiment can be loaded again with more sets.
    c = dofleet.load(a, set={"workload.tenants": 500})
    assert c.config["workload"]["tenants"] == 500


def test_a_sweep_from_a_dict():
    experiment = dict(SMALL_DICT, architectures=["thin", "hybrid"], sweep={"workload.zipf_s": [0.8, 1.0, 1.2]})
    results = dofleet.run(experiment, progress=False)
    table = results.tables["summary"]
    assert len(table) == 3 * 2
    assert table["workload.zipf_s"] == ["0.8", "0.8", "1", "1", "1.2", "1.2"] or len(set(table["workload.zipf_s"])) == 3
    assert results.runs_done == results.runs_total == 3 * 2 * 2
    # More skew, fewer distinct DOs woken: fewer cold starts for thin.
    thin = [row for row in table if row["architecture"] == "thin"]
    assert thin[0]["cold_start_fraction"] > thin[-1]["cold_start_fraction"]


def test_a_misspelt_key_in_a_file_has_the_cli_message(run_cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('duration = "2min"\n\n[workload]\ntenant = 300\n')
    with pytest.raises(dofleet.ConfigError) as caught:
        dofleet.load(path)
    done = run_cli("run", path, "--out", tmp_path / "out", check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {caught.value}"
    error = caught.value
    assert (error.source, error.line, error.column, error.key) == (str(path), 4, 1, "workload.tenant")
    assert "workload.tenants" in str(error)


@pytest.mark.parametrize(
    "experiment, where",
    [
        ({"workload": {"tenant": 300}}, "<dict>:"),
        ('[workload]\ntenant = 300\n', "<toml string>:2:1"),
    ],
)
def test_a_misspelt_key_in_a_dict_or_string_names_it(experiment, where):
    with pytest.raises(dofleet.ConfigError) as caught:
        dofleet.run(experiment, progress=False)
    message = str(caught.value)
    assert message.startswith(where), message
    assert "workload.tenants" in message


def test_a_bad_set_is_named_as_the_cli_names_it(run_cli):
    with pytest.raises(dofleet.ConfigError) as caught:
        dofleet.load(set={"workload.tenants": "many"})
    done = run_cli("config", "--set", "workload.tenants=many", check=False)
    assert done.stderr.strip() == f"error: {caught.value}"
    assert caught.value.source == "--set workload.tenants=many"


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(dofleet.ConfigError, match="cannot read the file"):
        dofleet.load(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: dofleet.run(SMALL_DICT, threads=0), dofleet.InputError),
        (lambda: dofleet.plan(SMALL_DICT, slo="p99<<2s"), dofleet.InputError),
        (lambda: dofleet.plan(SMALL_DICT, slo="p99<=2s", search="disks"), dofleet.InputError),
        (lambda: dofleet.plan(SMALL_DICT, slo=[]), dofleet.InputError),
        (lambda: dofleet.fit("/nonexistent/trace.csv"), dofleet.TraceError),
        (lambda: dofleet.fit("/dev/null", tenant="owner"), dofleet.InputError),
        (lambda: dofleet.load({"workload": {"tenants": 10**30}}), dofleet.InputError),
        (lambda: dofleet.load({"workload": {"tenants": None}}), dofleet.InputError),
        (lambda: dofleet.load({"workload": {"tenants": object()}}), TypeError),
        (lambda: dofleet.load({1: 2}), TypeError),
        (lambda: dofleet.load(42), TypeError),
        (lambda: dofleet.load("x = [1,"), dofleet.ConfigError),
        (lambda: dofleet.load("\x00\udcff = 1"), Exception),
        (lambda: dofleet.load(set=["no-equals-sign"]), dofleet.ConfigError),
    ],
)
def test_bad_input_raises_never_crashes(call, error):
    with pytest.raises(error):
        call()
    # The interpreter is still fine.
    assert dofleet.load(SMALL_DICT).runs_total > 0


def test_errors_are_dofleet_errors():
    for name in ("ConfigError", "InputError", "TraceError", "RunError", "InternalError"):
        assert issubclass(getattr(dofleet, name), dofleet.DofleetError)
    assert issubclass(dofleet.DofleetError, Exception)


def test_tables_are_lists_of_dicts_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    results = dofleet.run(SMALL_DICT, progress=False)
    assert isinstance(results.summary, list)
    assert results.summary[0]["replications"] == 2
    assert set(results.summary[0]) == set(results.tables["summary"].columns)


def test_tables_are_dataframes_with_pandas():
    pd = pytest.importorskip("pandas")
    results = dofleet.run(SMALL_DICT, progress=False)
    assert isinstance(results.summary, pd.DataFrame)
    assert list(results.summary.columns) == results.tables["summary"].columns
    assert results.summary["latency_p99_ms"].dtype == float
    assert len(results.latency_cdf) == len(results.tables["latency_cdf"])


def test_fit_reads_a_trace(tmp_path):
    trace = tmp_path / "trace.csv"
    # 3 tenants, 600 requests over 10 minutes: tenant 0 twice as popular.
    lines = ["timestamp_ms,tenant"]
    for i in range(600):
        lines.append(f"{i * 1000},{'t0' if i % 4 < 2 else ('t1' if i % 4 == 2 else 't2')}")
    trace.write_text("\n".join(lines) + "\n")
    fitted = dofleet.fit(trace)
    assert fitted.requests == 600
    assert fitted.tenants == 3
    # 600 requests over a span of 599 s or 600 s.
    assert 599 / 600 <= fitted.rate_rps <= 600 / 599
    assert fitted.zipf is not None and fitted.zipf["s"] > 0
    assert f"{fitted.zipf['s']:.4f}" in str(fitted)
