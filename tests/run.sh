#!/usr/bin/env bash
# The one test command (README, and .ci/run): install everything the tests need, then run them.
# A fresh Python 3.11 machine with gcc/cmake passes this; llama-cpp-python builds from source (~9 min, cached after).
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q -e '.[test]'

# Headless Chromium for the page tests, from Debian's packages (the browser download of Playwright is not used).
if ! command -v chromium >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || { echo "could not install Debian's chromium: the page tests need it" >&2; exit 1; }
fi

export RAG_HOME="${RAG_HOME:-$(mktemp -d)}"
mkdir -p tests/output

status=0
python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

# The faithfulness gate: the eval on the embedded default must hold its floors and the baseline.
if [ -f evals/run.py ]; then
  python -m rag.cli eval --check
fi
