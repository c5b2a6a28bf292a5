#!/usr/bin/env bash
# Tests dist/action/run.sh, the GitHub Action's step, with a stand-in psafix that prints the
# arguments it is given. Run by 'make test'.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/psafix" <<'STUB'
#!/usr/bin/env bash
printf '%s\n' "$*"
STUB
chmod +x "$tmp/psafix"

fails=0
# expect NAME WANT [VAR=VALUE ...]: runs the step with only these inputs set.
expect() {
  name="$1" want="$2"
  shift 2
  got="$(env -i PATH="$PATH" PSAFIX="$tmp/psafix" "$@" bash "$here/run.sh" 2>&1)"
  if [ "$got" != "$want" ]; then
    echo "FAIL $name"
    echo "  want: $want"
    echo "  got:  $got"
    fails=$((fails + 1))
  fi
}

# The defaults pass neither --level nor --version: labels and .psafix.yaml decide.
expect "check, no inputs" "check --format github ."
expect "check, paths" "check --format github k8s/ apps/" PSAFIX_MODE=check PSAFIX_PATHS="k8s/ apps/"
expect "level only when asked" "check --format github --level baseline k8s" PSAFIX_LEVEL=baseline PSAFIX_PATHS=k8s
expect "version only when asked" "check --format github --version v1.30 ." PSAFIX_VERSION=v1.30
expect "both" "check --format github --level restricted --version latest ." PSAFIX_LEVEL=restricted PSAFIX_VERSION=latest
expect "fail-on" "check --format github --fail-on unexempted ." PSAFIX_FAIL_ON=unexempted
expect "empty inputs pass nothing" "check --format github ." PSAFIX_LEVEL= PSAFIX_VERSION= PSAFIX_FAIL_ON= PSAFIX_ARGS=
expect "args" "check --format github --skip read-only-root --run-as-user none k8s" PSAFIX_ARGS="--skip read-only-root --run-as-user none" PSAFIX_PATHS=k8s
expect "diff" "--diff --color never --level baseline ." PSAFIX_MODE=diff PSAFIX_LEVEL=baseline
expect "bad mode" "::error::mode must be check or diff, not fix" PSAFIX_MODE=fix

# The exit code is psafix's.
cat > "$tmp/psafix" <<'STUB'
#!/usr/bin/env bash
exit 1
STUB
env -i PATH="$PATH" PSAFIX="$tmp/psafix" bash "$here/run.sh" >/dev/null 2>&1
if [ $? -ne 1 ]; then echo "FAIL exit code not passed on"; fails=$((fails + 1)); fi
env -i PATH="$PATH" PSAFIX="$tmp/psafix" PSAFIX_MODE=bogus bash "$here/run.sh" >/dev/null 2>&1
if [ $? -ne 2 ]; then echo "FAIL bad mode does not exit 2"; fails=$((fails + 1)); fi

# action.yml runs this script and defaults level and version to nothing.
yml="$here/../../action.yml"
grep -q 'dist/action/run.sh' "$yml" || { echo "FAIL action.yml does not run dist/action/run.sh"; fails=$((fails + 1)); }
for input in level version fail-on; do
  if awk -v i="  $input:" '$0 == i {f=1; next} f && /^  [a-z]/ {exit} f && /default:/ {print; exit}' "$yml" | grep -vq 'default: ""'; then
    echo "FAIL action.yml: input $input must default to \"\""
    fails=$((fails + 1))
  fi
done

if [ "$fails" -gt 0 ]; then
  echo "dist/action/run_test.sh: $fails failed"
  exit 1
fi
echo "ok  dist/action/run_test.sh"
