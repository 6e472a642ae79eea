#!/usr/bin/env bash
# Set up and run every test: unit tests, trainer integration, distributed
# (dist_sync and Horovod) and the tutorial notebooks under nbval.
# GS_SKIP_HOROVOD=1 skips building Horovod (a compile of several minutes, which needs
# the CUDA toolkit on a CUDA build of MXNet); its tests then skip, saying why.
# CI (CI=true, set by .ci/run) always builds Horovod and runs its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
HOROVOD=$(gs_horovod_plan)
bash scripts/setup_env.sh "test,tutorials,dist"
gs_choose_env
if [ "$HOROVOD" = build ]; then
  VENV="$GS_ENV" bash scripts/install_horovod.sh
else
  echo "GS_SKIP_HOROVOD=$GS_SKIP_HOROVOD: Horovod not built; its tests skip"
fi
export OMP_NUM_THREADS=1 MPLBACKEND=Agg PYTHONHASHSEED=0
NBVAL=()
if compgen -G "tutorials/*.ipynb" >/dev/null; then
  NBVAL=(--nbval --nbval-current-env tutorials/)
fi
"$GS_ENV/bin/python" -m pytest -p no:cacheprovider -ra --doctest-modules gluon_schedules tests/ "${NBVAL[@]}" "$@"
