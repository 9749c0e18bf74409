"""The package gives the CLI's numbers, bit for bit: every cell of
summary.csv, runs.csv and latency_cdf.csv, the resolved config.toml and the
manifest's identity, for a single point, a sweep, a seed and a plan."""

import csv
import math
import struct
from pathlib import Path

import pytest

import dofleet

SMALL = ["duration=3min", "replications=2", "workload.tenants=2000"]


def cli_table(path: Path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def same_float(cell: str, value: float) -> bool:
    # The CLI writes Rust's shortest round-trip form: parsing it gives back
    # the very f64 (NaN for an empty cell).
    if cell == "":
        return math.isnan(value)
    return struct.pack("<d", float(cell)) == struct.pack("<d", value)


def assert_table_equal(table: dofleet.Table, path: Path):
    header, rows = cli_table(path)
    assert table.columns == header
    assert len(table) == len(rows)
    assert len(rows) > 0
    for c, name in enumerate(header):
        column = table[name]
        for r, row in enumerate(rows):
            value, cell = column[r], row[c]
            if isinstance(value, bool):
                assert str(value).lower() == cell, (name, r)
            elif isinstance(value, int):
                assert str(value) == cell, (name, r)
            elif isinstance(value, float):
                assert same_float(cell, value), (name, r, cell, value)
            else:
                assert value == cell, (name, r)


def cli_run(run_cli, tmp_path, experiment, sets):
    out = tmp_path / "cli"
    args = ["run", experiment, "--out", out, "--quiet", "--no-plots"]
    for s in sets:
        args += ["--set", s]
    run_cli(*args)
    return out


def check_same_as_cli(run_cli, tmp_path, root, experiment, sets, **kwargs):
    out = cli_run(run_cli, tmp_path, experiment, sets)
    results = dofleet.run(root / experiment, set=sets, progress=False, **kwargs)
    for name, file in [("summary", "summary.csv"), ("runs", "runs.csv"), ("latency_cdf", "latency_cdf.csv")]:
        assert_table_equal(results.tables[name], out / file)
    assert results.config_toml == (out / "config.toml").read_text()
    manifest = dofleet._native.from_toml((out / "manifest.toml").read_text())
    for key in ("experiment", "fingerprint", "seed", "runs_total", "runs_present", "dofleet_version"):
        assert results.manifest[key] == manifest[key], key
    assert results.manifest["status"] == "complete"
    return results


def test_a_point_equals_the_cli_bit_for_bit(run_cli, tmp_path, root):
    results = check_same_as_cli(run_cli, tmp_path, root, "experiments/baseline.toml", SMALL)
    assert len(results.tables["summary"]) == len(results.config["architectures"])
    assert results.summary["replications"].tolist() == [2] * len(results.tables["summary"])


def test_a_sweep_equals_the_cli_bit_for_bit(run_cli, tmp_path, root):
    sets = ["duration=2min", "replications=2", "workload.tenants=1000"]
    results = check_same_as_cli(run_cli, tmp_path, root, "experiments/zipf-skew.toml", sets, threads=2)
    points = {row["workload.zipf_s"] for row in results.tables["summary"]}
    assert len(points) == 7
    # Swept values stay text, exactly as the CLI writes them.
    assert all(isinstance(v, str) for v in results.tables["summary"]["workload.zipf_s"])


def test_seed_is_the_cli_seed(run_cli, tmp_path, root):
    out = cli_run(run_cli, tmp_path, "experiments/baseline.toml", SMALL + ["seed=7"])
    results = dofleet.run(root / "experiments/baseline.toml", set=SMALL, seed=7, progress=False)
    assert_table_equal(results.tables["summary"], out / "summary.csv")
    assert results.manifest["seed"] == 7
    other = dofleet.run(root / "experiments/baseline.toml", set=SMALL, seed=8, progress=False)
    assert other.tables["summary"]["latency_p50_ms"] != results.tables["summary"]["latency_p50_ms"]


def bits(table: dofleet.Table):
    """The table with each float as its 8 bytes (NaN equal to NaN)."""
    return {
        name: [struct.pack("<d", v) if isinstance(v, float) else v for v in table[name]] for name in table.columns
    }


def test_the_thread_count_does_not_change_the_numbers(root):
    one = dofleet.run(root / "experiments/baseline.toml", set=SMALL, threads=1, progress=False)
    two = dofleet.run(root / "experiments/baseline.toml", set=SMALL, threads=2, progress=False)
    for name in ("summary", "runs", "latency_cdf"):
        assert bits(one.tables[name]) == bits(two.tables[name]), name


def test_plan_equals_the_cli(run_cli, tmp_path, root):
    sets = ["duration=2min", "replications=2", "workload.tenants=300", 'architectures=["thin"]']
    out = tmp_path / "plan"
    args = ["plan", "experiments/baseline.toml", "--slo", "p99<=2s", "--out", out]
    for s in sets:
        args += ["--set", s]
    run_cli(*args)
    planned = dofleet.plan(root / "experiments/baseline.toml", slo="p99<=2s", set=sets)
    assert_table_equal(planned.tables["plan"], out / "plan.csv")
    assert_table_equal(planned.tables["evaluations"], out / "plan_evaluations.csv")
    assert "thin" in str(planned).lower() or "Thin" in str(planned)
