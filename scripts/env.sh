# Sourced by setup_env.sh, run_tests.sh and run_main.sh (not run by itself): which Python
# environment the scripts use, and the checks on its interpreter, in functions that
# tests/test_setup_scripts.py runs with fake interpreters.
#
# The environment, first match wins (gs_choose_env):
#   1. $VENV, if set: that virtualenv directory (created with Python 3.11 if missing);
#   2. the active virtualenv ($VIRTUAL_ENV) or conda environment ($CONDA_PREFIX), if it
#      already has MXNet (a CUDA build such as mxnet-cu117, say): the project is
#      installed there, next to that MXNet;
#   3. ./.venv of the repository, created with Python 3.11, and rebuilt when an earlier
#      run made it with another Python.
# Python 3.11 only: setup.py says so (MXNet 1.9.1 needs NumPy < 1.24, which has no
# build for Python 3.12).

GS_PY_WANT=3.11

gs_py_version() {   # "X.Y" of the interpreter $1; empty if it does not run
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

gs_has_mxnet() {    # does interpreter $1 find an mxnet package (without importing it)?
  "$1" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("mxnet") is None)' \
    >/dev/null 2>&1
}

gs_how_to_get_python() {
  cat >&2 <<EOF
  gluon-schedules needs Python $GS_PY_WANT. Install it, then run the script again:
    Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv
    pyenv:         pyenv install 3.11 && pyenv shell 3.11
    conda:         conda create -n gs python=3.11 && conda activate gs
  or name the interpreter: PYTHON=/path/to/python3.11 bash $0
EOF
}

gs_find_python() {  # print a Python 3.11 to build a venv with, or explain and fail
  local cand v seen=""
  if [ -n "${PYTHON:-}" ]; then
    v=$(gs_py_version "$PYTHON")
    if [ "$v" = "$GS_PY_WANT" ]; then echo "$PYTHON"; return 0; fi
    echo "$(basename "$0"): PYTHON=$PYTHON is Python ${v:-(does not run)}, not $GS_PY_WANT." >&2
    gs_how_to_get_python
    return 1
  fi
  for cand in python3.11 python3; do
    command -v "$cand" >/dev/null 2>&1 || continue
    v=$(gs_py_version "$cand")
    [ "$v" = "$GS_PY_WANT" ] && { echo "$cand"; return 0; }
    seen="$seen $cand is Python ${v:-(does not run)};"
  done
  echo "$(basename "$0"): no Python $GS_PY_WANT found (${seen# }${seen:+ }python3.11 is not on PATH)." >&2
  gs_how_to_get_python
  return 1
}

gs_choose_env() {   # set GS_ENV (a directory) and GS_ENV_KIND (given|active|project)
  local active
  GS_ENV_NOTE=""
  if [ -n "${VENV:-}" ]; then
    GS_ENV=$(cd "$(dirname "$VENV")" 2>/dev/null && pwd)/$(basename "$VENV")
    GS_ENV_KIND=given
    return 0
  fi
  for active in "${VIRTUAL_ENV:-}" "${CONDA_PREFIX:-}"; do
    [ -n "$active" ] && [ "$active" != "$PWD/.venv" ] && [ -x "$active/bin/python" ] || continue
    if gs_has_mxnet "$active/bin/python"; then
      GS_ENV=$active
      GS_ENV_KIND=active
      return 0
    fi
    GS_ENV_NOTE="the active environment $active has no MXNet, so it is not used"
  done
  GS_ENV=$PWD/.venv
  GS_ENV_KIND=project
}

gs_describe_env() {  # one line: which environment, and why
  case "$GS_ENV_KIND" in
    given)   echo "environment: $GS_ENV (from VENV)" ;;
    active)  echo "environment: $GS_ENV (the active environment, which has MXNet; set VENV=.venv to use the project's own)" ;;
    project) echo "environment: $GS_ENV${GS_ENV_NOTE:+ ($GS_ENV_NOTE)}" ;;
  esac
}

gs_prepare_env() {  # make $GS_ENV exist with Python 3.11, or explain and fail
  local py="$GS_ENV/bin/python" v base=""
  if [ -e "$py" ] || [ -L "$py" ]; then
    v=$(gs_py_version "$py")
    if [ "$v" = "$GS_PY_WANT" ]; then return 0; fi
    if [ "$GS_ENV_KIND" != project ]; then
      echo "$(basename "$0"): $GS_ENV has Python ${v:-that does not run}, not $GS_PY_WANT." >&2
      if [ "$GS_ENV_KIND" = given ]; then
        echo "  Point VENV at a Python $GS_PY_WANT environment, or unset it to use ./.venv." >&2
      else
        echo "  Activate a Python $GS_PY_WANT environment, or set VENV=.venv to use the project's own." >&2
      fi
      return 1
    fi
    base=$(gs_find_python) || return 1   # find one before removing anything
    echo "$GS_ENV has Python ${v:-that no longer runs} (made by an earlier run with another interpreter): rebuilding it with $base"
    rm -rf "$PWD/.venv"
  fi
  [ -n "$base" ] || base=$(gs_find_python) || return 1
  echo "creating $GS_ENV with $base (Python $GS_PY_WANT)"
  if ! "$base" -m venv "$GS_ENV"; then
    echo "$(basename "$0"): '$base -m venv' failed; on Debian/Ubuntu: sudo apt-get install python3.11-venv" >&2
    rm -rf "$GS_ENV"
    return 1
  fi
  GS_ENV_CREATED=1
}

gs_horovod_plan() {  # "build" or "skip" for run_tests.sh; CI always builds
  if [ "${CI:-}" = true ]; then
    if [ "${GS_SKIP_HOROVOD:-0}" != 0 ]; then
      echo "$(basename "$0"): GS_SKIP_HOROVOD=$GS_SKIP_HOROVOD is refused with CI=true: CI builds and runs the Horovod tests." >&2
      return 1
    fi
    echo build
  elif [ "${GS_SKIP_HOROVOD:-0}" != 0 ]; then
    echo skip
  else
    echo build
  fi
}
