#!/usr/bin/env bash
# Set up and run the main job: the super-convergence comparison on bundled MNIST digits.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh tutorials
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec .venv/bin/python -m gluon_schedules.demo "$@"
