"""Executes notebooks/analysis.ipynb headless: it runs an experiment with the
dofleet Python package and analyses it.

    python notebooks/execute.py EXPERIMENT [--set KEY=VALUE]... [--compare-set KEY=VALUE]... [--save EXECUTED.ipynb]

EXPERIMENT is an experiment file; each --set overrides a key as the CLI's
does; --compare-set adds overrides for a second run that the notebook
compares with the first. The committed notebook must carry no outputs: this
checks that first. The executed copy is written only with --save, never over
the committed notebook. Exits non-zero if any cell fails.
"""

import argparse
import os
import shlex
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "analysis.ipynb"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", help="an experiment file")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key")
    parser.add_argument(
        "--compare-set", action="append", default=[], metavar="KEY=VALUE", help="override a key in the run to compare with"
    )
    parser.add_argument("--save", help="write the executed notebook here")
    args = parser.parse_args()

    nb = nbformat.read(NOTEBOOK, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    if dirty:
        print(f"{NOTEBOOK}: cells {dirty} carry outputs; clear them before committing", file=sys.stderr)
        return 1
    experiment = Path(args.experiment).resolve()
    if not experiment.is_file():
        print(f"{experiment}: no such experiment file", file=sys.stderr)
        return 1
    os.environ["DOFLEET_EXPERIMENT"] = str(experiment)
    os.environ["DOFLEET_SET"] = shlex.join(args.set)
    os.environ["DOFLEET_COMPARE_SET"] = shlex.join(args.compare_set)

    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
    client.execute()
    if args.save:
        nbformat.write(nb, args.save)
    code = sum(1 for cell in nb.cells if cell.cell_type == "code")
    shown = " ".join([args.experiment, *args.set])
    print(f"executed {code} code cells of {NOTEBOOK.name} on {shown}" + (f" against {' '.join(args.compare_set)}" if args.compare_set else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
