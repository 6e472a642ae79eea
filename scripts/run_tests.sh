#!/usr/bin/env bash
# Set up and run every test: unit tests, trainer integration, distributed
# (dist_sync and Horovod) and the tutorial notebooks under nbval.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh "test,tutorials,dist"
if [ -f scripts/install_horovod.sh ]; then bash scripts/install_horovod.sh; fi
export OMP_NUM_THREADS=1 MPLBACKEND=Agg PYTHONHASHSEED=0
NBVAL=()
if compgen -G "tutorials/*.ipynb" >/dev/null; then
  NBVAL=(--nbval --nbval-current-env tutorials/)
fi
.venv/bin/python -m pytest -p no:cacheprovider -ra --doctest-modules gluon_schedules tests/ "${NBVAL[@]}" "$@"
