#!/usr/bin/env bash
# Run plangate for the GitHub Action: one check (the user's arguments), its JSON report
# rendered again as markdown (the pull-request comment), HTML (an artifact) and GitHub
# annotations, all from the same run. The check's exit code is written to the step's
# outputs and returned last, so the following steps (comment, artifacts) run first.
# Env: PLANGATE_ARGS (e.g. "check --partition 1/2"; default "check"), PLANGATE_OUT (folder
# for the reports, default plangate-report), GITHUB_OUTPUT.
set -uo pipefail

out="${PLANGATE_OUT:-plangate-report}"
mkdir -p "$out"
rm -f "$out/report.json" "$out/report.md" "$out/report.html"
# shellcheck disable=SC2086 # the user's arguments are words
plangate ${PLANGATE_ARGS:-check} --format json --output "$out/report.json"
code=$?
echo "exit-code=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
if [ "$code" -le 1 ] && [ -s "$out/report.json" ]; then
    plangate merge "$out/report.json" --format markdown --output "$out/report.md" || true
    plangate merge "$out/report.json" --format html --output "$out/report.html" || true
    plangate merge "$out/report.json" --format github || true
else
    {
        echo "## ⚠️ plangate could not run"
        echo
        echo "Exit code $code: see the job's log."
    } > "$out/report.md"
fi
exit 0
