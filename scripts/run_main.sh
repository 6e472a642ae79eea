#!/usr/bin/env bash
# Set up and run the main job: the super-convergence comparison on bundled MNIST digits.
# The job lives in the tutorials' kit (tutorials/gs_examples), not in the library.
# It runs in the caller's directory, so a relative --out is written where the user is.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/setup_env.sh" tutorials
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export PYTHONPATH="$ROOT/tutorials${PYTHONPATH:+:$PYTHONPATH}"
exec "$ROOT/.venv/bin/python" -m gs_examples.demo "$@"
