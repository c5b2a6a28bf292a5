#!/usr/bin/env bash
# The GitHub Action's step (action.yml): runs psafix on the workflow's checkout with the
# inputs the workflow set. An input left empty passes no flag, so that the namespaces'
# pod-security.kubernetes.io labels and .psafix.yaml decide, as they do for plain
# 'psafix check'. Tested by dist/action/run_test.sh.
set -uo pipefail

mode="${PSAFIX_MODE:-check}"
args=()
[ -n "${PSAFIX_LEVEL:-}" ] && args+=(--level "$PSAFIX_LEVEL")
[ -n "${PSAFIX_VERSION:-}" ] && args+=(--version "$PSAFIX_VERSION")
[ -n "${PSAFIX_FAIL_ON:-}" ] && args+=(--fail-on "$PSAFIX_FAIL_ON")
# Word splitting of ARGS and PATHS is intended: they are lists, as a workflow writes them.
# shellcheck disable=SC2206
extra=(${PSAFIX_ARGS:-})
# shellcheck disable=SC2206
paths=(${PSAFIX_PATHS:-.})

case "$mode" in
  check) exec "${PSAFIX:-psafix}" check --format github "${args[@]}" "${extra[@]}" "${paths[@]}" ;;
  diff)  exec "${PSAFIX:-psafix}" --diff --color never "${args[@]}" "${extra[@]}" "${paths[@]}" ;;
  *) echo "::error::mode must be check or diff, not $mode"; exit 2 ;;
esac
