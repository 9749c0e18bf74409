"""Executes notebooks/analysis.ipynb headless on dofleet output directories.

    python notebooks/execute.py OUT [COMPARE] [--save EXECUTED.ipynb]

OUT (and COMPARE, to compare two experiments) are output directories of
`dofleet run`. The committed notebook must carry no outputs: this checks
that first. The executed copy is written only with --save, never over the
committed notebook. Exits non-zero if any cell fails.
"""

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "analysis.ipynb"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output directory of `dofleet run`")
    parser.add_argument("compare", nargs="?", help="a second output directory to compare with")
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
    for name, value in [("DOFLEET_OUT", args.out), ("DOFLEET_COMPARE", args.compare)]:
        if value is None:
            os.environ.pop(name, None)
            continue
        path = Path(value).resolve()
        if not (path / "summary.csv").is_file():
            print(f"{path}: expected an output directory of `dofleet run` (no summary.csv)", file=sys.stderr)
            return 1
        os.environ[name] = str(path)

    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
    client.execute()
    if args.save:
        nbformat.write(nb, args.save)
    code = sum(1 for cell in nb.cells if cell.cell_type == "code")
    print(f"executed {code} code cells of {NOTEBOOK.name} on {args.out}" + (f" against {args.compare}" if args.compare else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
