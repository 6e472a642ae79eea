#!/usr/bin/env bash
# Create (or reuse) the project's virtualenv in .venv and install the project with
# the extras named in $1 (default: tutorials). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-tutorials}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip wheel setuptools 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e ".[${EXTRAS}]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import mxnet, numpy, gluon_schedules; print('mxnet', mxnet.__version__, 'numpy', numpy.__version__, 'gluon_schedules', gluon_schedules.__version__)"
