#!/usr/bin/env bash
# Runs every experiment in experiments/ with two dofleet binaries and compares
# their CSV outputs (and resolved config.toml) byte for byte.
#
#   scripts/compare-outputs.sh BIN_A BIN_B [--full]
#
# Without --full every experiment is shortened identically for both binaries
# (duration, replications: see REDUCED below) so that the comparison fits a
# busy machine; --full runs the experiments as written. Also compares the
# default table (`dofleet` with no command) and `dofleet config` of each
# experiment (without the wall-clock timing line). Exits 0 when everything is identical, 1 otherwise.
#
# A change that adds outputs compares the rest: DROP_COLUMNS=a,b drops those
# CSV columns, DROP_SECTIONS=x,y those [sections] of config files, on both
# sides, before comparing.
set -euo pipefail
a=$(realpath "$1"); b=$(realpath "$2"); mode=${3:-}
cd "$(dirname "$0")/.."
REDUCED=(--set duration=3min --set replications=2)
[[ "$mode" == "--full" ]] && REDUCED=()
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0
drop() { # file: without DROP_COLUMNS / DROP_SECTIONS
  python3 - "$1" <<'PY'
import csv, io, os, sys
path = sys.argv[1]
cols = {c for c in os.environ.get("DROP_COLUMNS", "").split(",") if c}
secs = {s for s in os.environ.get("DROP_SECTIONS", "").split(",") if s}
text = open(path, newline="").read()
if path.endswith(".csv") and cols:
    rows = list(csv.reader(io.StringIO(text)))
    if rows:
        keep = [i for i, c in enumerate(rows[0]) if c not in cols]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([[r[i] for i in keep if i < len(r)] for r in rows])
        text = out.getvalue()
elif secs:
    out, skip = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skip = line.strip().strip("[]") in secs
        if not skip:
            out.append(line)
    text = "".join(out)
open(path, "w", newline="").write(text)
PY
}
same() { # label file_a file_b
  if [[ -n "${DROP_COLUMNS:-}${DROP_SECTIONS:-}" ]]; then drop "$2"; drop "$3"; fi
  if cmp -s "$2" "$3"; then echo "same      $1"; else echo "DIFFERENT $1"; status=1; fi
}
# The wall-clock line ("N simulated requests in T s") differs run to run.
untimed() { sed -E -e "s|$work/[ab]-|OUT-|g" -e '/simulated requests in .* s \(/d' -e 's/in [0-9.]+ ?(ms|s)\b/in TIME/g'; }
"$a" -q | untimed > "$work/a-default.txt"; "$b" -q | untimed > "$work/b-default.txt"
same "default table" "$work/a-default.txt" "$work/b-default.txt"
for exp in experiments/*.toml; do
  name=$(basename "$exp" .toml)
  for side in a b; do
    bin=${!side}
    "$bin" config "$exp" "${REDUCED[@]}" > "$work/$side-$name.config.toml"
    if grep -q "^#   dofleet plan $exp" "$exp"; then
      "$bin" plan "$exp" -q --slo 'p99<=2.5s' "${REDUCED[@]}" --out "$work/$side-$name" 2>&1 | untimed > "$work/$side-$name.stdout"
    else
      "$bin" run "$exp" -q --no-plots "${REDUCED[@]}" --out "$work/$side-$name" 2>&1 | untimed > "$work/$side-$name.stdout"
    fi
  done
  same "$name config" "$work/a-$name.config.toml" "$work/b-$name.config.toml"
  same "$name stdout" "$work/a-$name.stdout" "$work/b-$name.stdout"
  for f in "$work/a-$name"/*.csv "$work/a-$name"/config.toml; do
    [[ -e "$f" ]] || continue
    same "$name/$(basename "$f")" "$f" "$work/b-$name/$(basename "$f")"
  done
  na=$(ls "$work/a-$name" | grep -c csv || true); nb=$(ls "$work/b-$name" | grep -c csv || true)
  [[ "$na" == "$nb" ]] || { echo "DIFFERENT $name: $na vs $nb CSV files"; status=1; }
done
exit $status
