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
set -euo pipefail
a=$(realpath "$1"); b=$(realpath "$2"); mode=${3:-}
cd "$(dirname "$0")/.."
REDUCED=(--set duration=3min --set replications=2)
[[ "$mode" == "--full" ]] && REDUCED=()
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0
same() { # label file_a file_b
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
