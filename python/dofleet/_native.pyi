"""Type hints of dofleet's compiled half, ``dofleet._native``.

Use the ``dofleet`` package's functions (``dofleet.run``, ``dofleet.plan``,
``dofleet.fit``, ``dofleet.load``); these are what they call.
"""

from typing import Any, Callable, Dict, List, Optional, Tuple

__version__: str

class DofleetError(Exception):
    """Base class of dofleet's errors."""

class ConfigError(DofleetError):
    """A configuration error, with the CLI's message (file, line, column,
    key, nearest valid key)."""

    source: str
    """The layer: a file path, ``<dict>``, ``<toml string>``, ``--set KEY=VALUE``
    or an embedded model."""
    line: Optional[int]
    """1-based line, when the error has a place."""
    column: Optional[int]
    """1-based column, when the error has a place."""
    key: Optional[str]
    """The full dotted key, when one is at fault."""

class InputError(DofleetError):
    """A bad argument outside a configuration (an objective, a search
    dimension, a thread count, a name)."""

class TraceError(DofleetError):
    """A trace that cannot be read or fitted (the message names file and line)."""

class RunError(DofleetError):
    """Runs that could not be run (threads, a workload failing mid-run)."""

class InternalError(DofleetError):
    """A bug in dofleet (a Rust panic, caught): report it with the message."""

class Experiment:
    """A loaded experiment: every sweep point validated, ready to run."""

    @property
    def name(self) -> str: ...
    @property
    def config_toml(self) -> str:
        """The resolved experiment as TOML (every default explicit)."""
    @property
    def config(self) -> Dict[str, Any]:
        """The resolved experiment as a dict."""
    @property
    def points(self) -> int:
        """Sweep points (1 without a sweep)."""
    @property
    def runs_total(self) -> int:
        """Points x architectures x replications."""
    @property
    def swept(self) -> List[List[Tuple[str, str]]]:
        """Per point, each swept key and its value as text."""

def load(
    kind: str,
    source: Optional[str] = None,
    name: Optional[str] = None,
    sets: List[str] = ...,
    seed: Optional[int] = None,
) -> Experiment:
    """``kind``: ``"default"``, ``"file"`` (``source`` a path) or ``"text"``
    (``source`` an experiment file's text, called ``name`` in errors)."""

def run(
    experiment: Experiment,
    threads: int = 0,
    progress: Optional[Callable[[int, int, int], Any]] = None,
) -> Dict[str, Any]:
    """Tables (``summary``, ``runs``, ``latency_cdf``: ``{column: list}``),
    ``config``/``config_toml``, ``manifest``/``manifest_toml``, ``runs_done``,
    ``runs_total``, ``simulated_requests``, ``interrupted``."""

def plan(
    experiment: Experiment,
    slos: List[str],
    search: str = "hosts",
    confidence: float = 0.95,
    min: Optional[int] = None,
    max: Optional[int] = None,
    threads: int = 0,
) -> Dict[str, Any]:
    """``plan`` and ``evaluations`` tables and the CLI's ``text``."""

def fit(trace: str, tenant: str = "function", spread: str = "uniform", seed: int = 1) -> Dict[str, Any]:
    """The fitted figures (times in seconds) and the CLI's ``report``."""

def to_toml(value: Any) -> str:
    """A dict as a TOML document; any other value as a TOML value."""

def from_toml(text: str) -> Dict[str, Any]:
    """TOML text as a dict."""
