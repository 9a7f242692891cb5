#!/usr/bin/env bash
# Keep one pull-request comment up to date with the markdown report: the comment that
# carries plangate's marker is edited, and only when there is none is one created.
# Env: GITHUB_REPOSITORY (owner/name), GITHUB_EVENT_PATH (the event; its pull request's
# number), PLANGATE_REPORT (the markdown file), PLANGATE_MARKER (default below), GH_TOKEN
# for `gh`. Does nothing outside a pull request.
set -euo pipefail

marker="${PLANGATE_MARKER:-<!-- plangate-report -->}"
number="$(jq -r '.pull_request.number // empty' "${GITHUB_EVENT_PATH:?}")"
if [ -z "$number" ]; then
    echo "plangate: not a pull request; no comment"
    exit 0
fi
report="${PLANGATE_REPORT:?the markdown report}"
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
{ echo "$marker"; cat "$report"; } > "$body"

repo="${GITHUB_REPOSITORY:?}"
existing="$(gh api --paginate "repos/$repo/issues/$number/comments" \
    --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)"
if [ -n "$existing" ]; then
    gh api -X PATCH "repos/$repo/issues/comments/$existing" -F "body=@$body" >/dev/null
    echo "plangate: updated comment $existing on #$number"
else
    gh api -X POST "repos/$repo/issues/$number/comments" -F "body=@$body" >/dev/null
    echo "plangate: commented on #$number"
fi
