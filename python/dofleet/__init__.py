"""dofleet from Python: the simulator itself, not a wrapper around the CLI.

    >>> import dofleet
    >>> r = dofleet.run("experiments/baseline.toml", set={"workload.tenants": 1000}, seed=1)
    >>> r.summary[["architecture", "latency_p99_ms"]]

``run`` returns :class:`Results`: ``summary``, ``runs`` and ``latency_cdf``
(the tables of ``summary.csv``, ``runs.csv`` and ``latency_cdf.csv``, as
pandas DataFrames when pandas is installed, else lists of dicts), the
resolved configuration and the manifest. The same experiment and seed give
the same numbers as ``dofleet run``, bit for bit.

An experiment is a path to an experiment file, a TOML string, a dict, a
:class:`Experiment` from :func:`load`, or ``None`` for the embedded default.
``set`` overrides keys as the CLI's ``--set KEY=VALUE`` does. Mistakes raise
:class:`ConfigError` (or another :class:`DofleetError`) with the CLI's
message: file, line, column, key and the nearest valid key.

Runs release the GIL, show a progress bar when tqdm is installed (in a
terminal or a notebook), and stop cleanly on Ctrl-C or a notebook's stop
button: the runs in progress stop, then ``KeyboardInterrupt`` is raised.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from . import _native
from ._native import (
    ConfigError,
    DofleetError,
    Experiment,
    InputError,
    InternalError,
    RunError,
    TraceError,
    __version__,
)

__all__ = [
    "ConfigError",
    "DofleetError",
    "Experiment",
    "Fit",
    "InputError",
    "InternalError",
    "Plan",
    "Results",
    "RunError",
    "Table",
    "TraceError",
    "fit",
    "load",
    "plan",
    "run",
    "__version__",
]

ExperimentLike = Union[None, str, "os.PathLike[str]", Mapping[str, Any], Experiment]
Sets = Union[None, Mapping[str, Any], Sequence[str]]
Progress = Union[bool, str, Callable[[int, int, int], Any]]


class Table:
    """A table as dofleet writes it to CSV, typed by column.

    Identifier and swept-key columns are text (kept as written: ``10s``,
    ``0.8``), ``replications``/``replication`` integers, ``met`` booleans,
    metrics floats (NaN where the CSV cell is empty).
    """

    def __init__(self, columns: Dict[str, list]):
        self._columns = columns

    @property
    def columns(self) -> List[str]:
        """The column names, in the CSV's order."""
        return list(self._columns)

    def __getitem__(self, name: str) -> list:
        return self._columns[name]

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()), []))

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self.to_dicts())

    def to_dicts(self) -> List[Dict[str, Any]]:
        """One dict per row."""
        names = self.columns
        return [dict(zip(names, row)) for row in zip(*self._columns.values())]

    def to_pandas(self):
        """A pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self._columns, columns=self.columns)

    def __repr__(self) -> str:
        return f"<dofleet.Table: {len(self)} rows x {len(self._columns)} columns>"


def _frame(table: Table):
    """A DataFrame when pandas is installed, else a list of dicts."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        return table.to_dicts()
    return table.to_pandas()


class Results:
    """What :func:`run` returns: the CLI's output files, in memory."""

    def __init__(self, experiment: Experiment, outcome: Dict[str, Any]):
        self.experiment = experiment
        #: Each table as a :class:`Table`: ``summary``, ``runs``, ``latency_cdf``.
        self.tables = {name: Table(outcome[name]) for name in ("summary", "runs", "latency_cdf")}
        #: The resolved experiment (``config.toml``) as a dict, and as TOML.
        self.config: Dict[str, Any] = outcome["config"]
        self.config_toml: str = outcome["config_toml"]
        #: ``manifest.toml`` as a dict (status, seed, version, machine...), and as TOML.
        self.manifest: Dict[str, Any] = outcome["manifest"]
        self.manifest_toml: str = outcome["manifest_toml"]
        self.runs_done: int = outcome["runs_done"]
        self.runs_total: int = outcome["runs_total"]
        self.simulated_requests: int = outcome["simulated_requests"]
        self._frames: Dict[str, Any] = {}

    def _get(self, name: str):
        if name not in self._frames:
            self._frames[name] = _frame(self.tables[name])
        return self._frames[name]

    @property
    def summary(self):
        """``summary.csv``: one row per (sweep point, architecture), each
        metric's mean over the replications and, with more than one, its 95%
        confidence half-width (``_ci95``). A DataFrame, or a list of dicts
        without pandas."""
        return self._get("summary")

    @property
    def runs(self):
        """``runs.csv``: one row per replication, every metric's value."""
        return self._get("runs")

    @property
    def latency_cdf(self):
        """``latency_cdf.csv``: per (point, architecture), the latency (ms) at
        quantiles 0 to 1 of all replications' requests merged."""
        return self._get("latency_cdf")

    def __repr__(self) -> str:
        return (
            f"<dofleet.Results {self.manifest.get('experiment')!r}: {self.runs_done} of "
            f"{self.runs_total} runs, {len(self.tables['summary'])} summary rows>"
        )


class Plan:
    """What :func:`plan` returns: ``plan.csv`` (``plan``), ``plan_evaluations.csv``
    (``evaluations``) and the table the CLI prints (``text``, also ``str(plan)``)."""

    def __init__(self, outcome: Dict[str, Any]):
        self.tables = {name: Table(outcome[name]) for name in ("plan", "evaluations")}
        self.text: str = outcome["text"]
        self.plan = _frame(self.tables["plan"])
        self.evaluations = _frame(self.tables["evaluations"])

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<dofleet.Plan: {len(self.tables['plan'])} rows>"


class Fit:
    """What :func:`fit` returns: the trace's figures (times in seconds) and
    the CLI's report (``report``, also ``str(fit)``), which ends with an
    experiment snippet reproducing the trace."""

    layout: str
    tenants: int
    requests: int
    span_s: float
    rate_rps: float
    #: ``{"s", "se", "ci95"}``, or None for a single tenant.
    zipf: Optional[Dict[str, Any]]
    hour_counts: List[int]
    #: The rate by hour of the day relative to its mean (None under 24 h).
    profile: Optional[List[float]]
    gaps: int
    gap_quantiles_s: List[tuple]
    cold_fractions: List[tuple]
    report: str

    def __init__(self, fields: Dict[str, Any]):
        self.__dict__.update(fields)

    def __str__(self) -> str:
        return self.report

    def __repr__(self) -> str:
        return f"<dofleet.Fit: {self.requests} requests, {self.tenants} tenants, {self.rate_rps:.4g} requests/s>"


def _set_list(sets: Sets) -> List[str]:
    """``set`` as the CLI's ``KEY=VALUE`` assignments. A string value is
    passed as typed after ``--set KEY=`` (``"70s"``, ``'["thin"]'``); any
    other value is written as TOML (``100_000``, ``["thin", "lazy"]``)."""
    if sets is None:
        return []
    if isinstance(sets, str):
        return [sets]
    if isinstance(sets, Mapping):
        out = []
        for key, value in sets.items():
            text = value if isinstance(value, str) else _native.to_toml(value)
            out.append(f"{key}={text}")
        return out
    return [str(s) for s in sets]


def _is_toml_text(text: str) -> bool:
    # A TOML document has a `=` or a table header; a path rarely does.
    return "\n" in text or "=" in text or text.lstrip().startswith("[")


def load(experiment: ExperimentLike = None, set: Sets = None, seed: Optional[int] = None) -> Experiment:
    """Loads and validates an experiment (every sweep point) without running it.

    ``experiment``: a path to an experiment file; a TOML string; a dict (as
    the file's TOML would be); an :class:`Experiment` (returned as it is when
    ``set`` and ``seed`` are not given); or None for the embedded default.
    ``set``: overrides, ``{"workload.tenants": 100_000, "do.idle_timeout": "70s"}``
    or ``["workload.tenants=100000"]``, applied in order as ``--set``.
    ``seed``: the seed, applied last (``--set seed=N``).

    Raises :class:`ConfigError` with the CLI's message.
    """
    sets = _set_list(set)
    if isinstance(experiment, Experiment):
        if not sets and seed is None:
            return experiment
        return _native.load("text", experiment.config_toml, f"<experiment {experiment.name}>", sets, seed)
    if experiment is None:
        return _native.load("default", None, None, sets, seed)
    if isinstance(experiment, Mapping):
        return _native.load("text", _native.to_toml(dict(experiment)), "<dict>", sets, seed)
    if isinstance(experiment, os.PathLike):
        return _native.load("file", os.fspath(experiment), None, sets, seed)
    if isinstance(experiment, str):
        if _is_toml_text(experiment):
            return _native.load("text", experiment, "<toml string>", sets, seed)
        return _native.load("file", experiment, None, sets, seed)
    raise TypeError(
        f"experiment: expected a path, a TOML string, a dict, a dofleet.Experiment or None; "
        f"found {type(experiment).__name__}"
    )


def _threads(threads: Optional[int]) -> int:
    if threads is None:
        return 0
    if threads < 1:
        raise InputError("--threads must be at least 1")
    return int(threads)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    try:
        return shell is not None and "IPKernelApp" in shell.get_ipython().config
    except Exception:
        return False


def _progress_bar(progress: Progress, what: str) -> Optional[Callable[[int, int, int], Any]]:
    """The progress callback: the caller's, a tqdm bar, or None."""
    if callable(progress):
        return progress
    if progress is False:
        return None
    if progress in (True, "auto"):
        notebook = _in_notebook()
        if progress == "auto" and not (notebook or sys.stderr.isatty()):
            return None
        try:
            if notebook:
                try:
                    import ipywidgets  # noqa: F401
                    from tqdm.notebook import tqdm
                except ImportError:
                    from tqdm.std import tqdm
            else:
                from tqdm.std import tqdm
        except ImportError:
            return None
        state: Dict[str, Any] = {}

        def update(done: int, total: int, requests: int) -> None:
            bar = state.get("bar")
            if bar is None:
                bar = state["bar"] = tqdm(total=total, desc=what, unit="run", file=sys.stderr)
            bar.update(done - bar.n)
            bar.set_postfix_str(f"{requests / 1e6:.1f} M requests", refresh=False)
            if done >= total:
                bar.close()

        update.close = lambda: state.get("bar") and state["bar"].close()  # type: ignore[attr-defined]
        return update
    raise TypeError("progress: expected True, False, 'auto' or a callable(done, total, requests)")


def run(
    experiment: ExperimentLike = None,
    set: Sets = None,
    threads: Optional[int] = None,
    seed: Optional[int] = None,
    progress: Progress = "auto",
) -> Results:
    """Runs an experiment in memory, as ``dofleet run`` does, and returns its
    :class:`Results`.

    ``experiment``, ``set`` and ``seed``: as for :func:`load`. ``threads``:
    worker threads (None: one per core); the numbers do not depend on it.
    ``progress``: ``"auto"`` (a tqdm bar in a terminal or a notebook, when
    tqdm is installed), True, False, or a callable ``(runs_done, runs_total,
    requests_simulated)`` called from this thread while the run proceeds.

    Ctrl-C (or a notebook's stop button) stops the runs in progress and
    raises KeyboardInterrupt; a second Ctrl-C raises at once.
    """
    loaded = load(experiment, set, seed)
    callback = _progress_bar(progress, loaded.name)
    try:
        outcome = _native.run(loaded, _threads(threads), callback)
    finally:
        close = getattr(callback, "close", None)
        if close is not None:
            close()
    return Results(loaded, outcome)


def plan(
    experiment: ExperimentLike = None,
    slo: Union[str, Sequence[str]] = (),
    search: str = "hosts",
    confidence: float = 0.95,
    min: Optional[int] = None,
    max: Optional[int] = None,
    set: Sets = None,
    threads: Optional[int] = None,
    seed: Optional[int] = None,
) -> Plan:
    """Plans capacity, as ``dofleet plan``: for each sweep point and
    architecture, the smallest number of hosts (``search="hosts"``), memory
    per host (``"memory"``) or compute-worker instances (``"compute"``) that
    meets every objective (``slo="p99<=2.5s"`` or a list) with one-sided
    ``confidence`` over the replications. ``min``/``max`` bound the search.
    """
    slos = [slo] if isinstance(slo, str) else list(slo)
    loaded = load(experiment, set, seed)
    return Plan(_native.plan(loaded, slos, search, confidence, min, max, _threads(threads)))


def fit(
    trace: Union[str, "os.PathLike[str]"],
    tenant: str = "function",
    spread: str = "uniform",
    seed: int = 1,
) -> Fit:
    """Fits a workload to a trace, as ``dofleet fit``: the Zipf exponent with
    its 95% interval, the rate, the daily profile and the idle times.

    ``trace``: a CSV of ``timestamp_ms,tenant`` or a day of the Azure
    Functions 2019 trace. ``tenant``: ``"function"`` or ``"app"`` (Azure);
    ``spread``: ``"uniform"`` or ``"poisson"`` (Azure minute counts);
    ``seed``: the random stream that spreads them.
    """
    return Fit(_native.fit(os.fspath(trace), tenant, spread, seed))
