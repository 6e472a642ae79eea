#!/usr/bin/env bash
# Install Horovod 0.28.1 with MXNet and Gloo (no MPI, no TensorFlow, no PyTorch) into
# the virtualenv $VENV (default: .venv of the repository). Idempotent: does nothing
# when `import horovod.mxnet` already works. Horovod has no wheel: it is built from
# source against the installed MXNet (8 minutes on 2 free cores, more when busy; needs a C++ compiler
# and cmake, both installed here if missing when apt-get is available; on a CUDA build
# of MXNet also the CUDA toolkit). run_tests.sh skips it with GS_SKIP_HOROVOD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
  echo "install_horovod.sh: no Python at $PY (set VENV or run scripts/setup_env.sh first)" >&2
  exit 1
fi
if OMP_NUM_THREADS=1 "$PY" -c "import horovod.mxnet" >/dev/null 2>&1; then
  echo "horovod.mxnet already importable in $VENV: nothing to do"
  exit 0
fi
# Build tools: a C++ compiler, make and the Python headers (Python.h).
apt_pkgs=()
command -v g++ >/dev/null 2>&1 || apt_pkgs+=(build-essential)
command -v make >/dev/null 2>&1 || apt_pkgs+=(build-essential)
if ! "$PY" -c "import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"; then
  apt_pkgs+=("python$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-dev")
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${apt_pkgs[@]}"
  else
    echo "install_horovod.sh: missing build dependencies: ${apt_pkgs[*]}" >&2
    exit 1
  fi
fi
# --no-build-isolation builds against the venv's MXNet; it needs these first.
# cmake comes from PyPI when the system has none.
"$PY" -m pip install -q wheel setuptools
command -v cmake >/dev/null 2>&1 || "$PY" -m pip install -q cmake
export PATH="$(dirname "$PY"):$PATH"
echo "building Horovod 0.28.1 from source into $VENV (about 8 minutes on 2 free cores, much longer on busy ones; GS_SKIP_HOROVOD=1 bash scripts/run_tests.sh skips it)"
HOROVOD_WITH_MXNET=1 HOROVOD_WITH_GLOO=1 HOROVOD_WITHOUT_MPI=1 \
  HOROVOD_WITHOUT_TENSORFLOW=1 HOROVOD_WITHOUT_PYTORCH=1 \
  MAKEFLAGS="-j$(nproc 2>/dev/null || echo 2)" \
  "$PY" -m pip install --no-cache-dir --no-build-isolation horovod==0.28.1
OMP_NUM_THREADS=1 "$PY" -c "import horovod.mxnet as hvd; assert hvd.gloo_built(), 'Horovod built without Gloo'; print('horovod', __import__('horovod').__version__, 'with MXNet and Gloo')"
