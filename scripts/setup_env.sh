#!/usr/bin/env bash
# Install the project (editable) with the extras named in $1 (default: tutorials) into
# the environment scripts/env.sh chooses: $VENV, else an active virtualenv or conda
# environment that already has MXNet, else ./.venv (created with Python 3.11). Idempotent:
# pip runs again only when setup.py or the extras changed. Refuses a Python other than
# 3.11 before installing anything, saying what to do.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
EXTRAS="${1:-tutorials}"
gs_choose_env
gs_describe_env
gs_prepare_env
PY="$GS_ENV/bin/python"

# a CPU wheel and a CUDA build in one mxnet folder: repair first (see README, GPU)
"$PY" -P gluon_schedules/_mxnet_install.py || exit 1

STAMP="$GS_ENV/.gluon-schedules-installed"
WANT="$PWD [$EXTRAS] $(cksum < setup.py)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
   && "$PY" -I -c "import importlib.util as u, os, sys; s = u.find_spec('gluon_schedules'); sys.exit(not (s and s.origin.startswith(sys.argv[1] + os.sep)))" "$PWD" 2>/dev/null; then
  echo "gluon-schedules [$EXTRAS] already installed (setup.py unchanged): pip not run"
else
  LOG="$GS_ENV/pip-install.log"
  if "$PY" -c "import mxnet" >/dev/null 2>&1; then mx="the installed MXNet"; else mx="MXNet 1.9.1 (CPU)"; fi
  echo "installing gluon-schedules (editable) with extras [$EXTRAS], $mx and NumPy 1.23"
  echo "  (1-3 minutes the first time, mostly downloads; pip's output: $LOG)"
  rm -f "$STAMP"
  if ! { [ -z "${GS_ENV_CREATED:-}" ] || "$PY" -m pip install --upgrade pip wheel setuptools; } >"$LOG" 2>&1 \
     || ! "$PY" -m pip install -e ".[${EXTRAS}]" >>"$LOG" 2>&1; then
    echo "setup_env.sh: pip failed; the end of $LOG:" >&2
    tail -n 25 "$LOG" >&2
    exit 1
  fi
  # pip may have added the CPU wheel beside another MXNet (one that is not a 1.9 CUDA build)
  "$PY" -P gluon_schedules/_mxnet_install.py || exit 1
  echo "$WANT" > "$STAMP"
fi
OMP_NUM_THREADS=1 "$PY" -c "import mxnet, numpy, gluon_schedules; print('mxnet', mxnet.__version__, 'numpy', numpy.__version__, 'gluon_schedules', gluon_schedules.__version__, 'in', '$GS_ENV')"
