#!/bin/bash
# Run two plangate binaries on the same catalogs and compare what they produce: the JSON
# report of `check` and of `bless`, and every blessed baseline, with times (and the
# throwaway server's socket folder) masked. The second binary runs on the worlds the first
# one cached, so a changed cache key shows as a world built again.
#
#   ci/compare-binaries.sh OLD_BINARY NEW_BINARY PROJECT_DIR...
#
# Exit 0 when everything is identical, 1 when something differs.
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 OLD_BINARY NEW_BINARY PROJECT_DIR..." >&2
  exit 2
fi
old=$(realpath "$1") new=$(realpath "$2")
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PLANGATE_CACHE_DIR=$out/cache CI=1
mask() {
  python3 - "$1" <<'PY'
import json, sys
def m(v):
    if isinstance(v, dict):
        return {k: ("T" if k.endswith("_ms") or k in ("timings", "unix_socket_directories") else m(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [m(x) for x in v]
    return v
print(json.dumps(m(json.load(open(sys.argv[1]))), indent=1, sort_keys=True))
PY
}
status=0
for dir in "$@"; do
  name=$(basename "$(realpath "$dir")")
  for v in old new; do
    bin=$old; [ $v = new ] && bin=$new
    mkdir -p "$out/$name-$v"
    (cd "$dir" && git ls-files -co --exclude-standard . | grep -v '^target/' | tar -cf - -T - | tar -xf - -C "$out/$name-$v")
    for cmd in check bless; do
      (cd "$out/$name-$v" && "$bin" $cmd --format json --output "$out/$name-$v.$cmd.json" >/dev/null 2>"$out/$name-$v.$cmd.err")
      echo "$name: $v $cmd exit $?, $(grep -ho 'ready (.*' "$out/$name-$v.$cmd.err" | head -1)"
    done
  done
  for cmd in check bless; do
    if diff <(mask "$out/$name-old.$cmd.json") <(mask "$out/$name-new.$cmd.json"); then
      echo "$name: $cmd report identical"
    else
      echo "$name: $cmd report DIFFERS"; status=1
    fi
  done
  n=0
  for f in $(cd "$out/$name-old" && find baselines -name '*.json' 2>/dev/null); do
    n=$((n + 1))
    diff -q <(mask "$out/$name-old/$f") <(mask "$out/$name-new/$f") >/dev/null || { echo "$name: $f DIFFERS"; status=1; }
  done
  echo "$name: $n baselines compared"
done
exit $status
