#!/usr/bin/env bash
# Set up and run the main job: the super-convergence comparison on bundled MNIST digits.
# The job lives in the tutorials' kit (tutorials/gs_examples), not in the library.
# The environment is the one scripts/env.sh chooses (see scripts/setup_env.sh). The job
# runs in the caller's directory, so a relative --out is written where the user is.
set -euo pipefail
HERE="$PWD"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/setup_env.sh tutorials
source scripts/env.sh
gs_choose_env
cd "$HERE"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export PYTHONPATH="$ROOT/tutorials${PYTHONPATH:+:$PYTHONPATH}"
exec "$GS_ENV/bin/python" -m gs_examples.demo "$@"
