#!/usr/bin/env bash
# Set up Henry in ./.venv with the exact tested versions (constraints.txt), then exit.
#
#   scripts/setup.sh          the package and its runtime dependencies
#   scripts/setup.sh dev      plus the test and lint tools, Ray, Stable-Baselines3 and Xvfb for the window tests
#   scripts/setup.sh bench    plus the speed benchmarks' peers (gymnasium[box2d], stable-baselines3)
#   scripts/setup.sh ray      the package and Ray, for 'walker bench --ray' (e.g. on cluster nodes)
#   scripts/setup.sh sb3      the package and Stable-Baselines3, for walker bench sb3:MODEL.zip
#
# Safe to run again: it reinstalls only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
case "$extras" in
  "" ) spec="." ;;
  dev ) spec=".[dev,ray,sb3]" ;;
  bench ) spec=".[dev,ray,sb3,bench]" ;;
  ray ) spec=".[ray]" ;;
  sb3 ) spec=".[sb3]" ;;
  * ) echo "usage: scripts/setup.sh [dev|bench|ray|sb3]" >&2; exit 2 ;;
esac

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Henry needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1)" >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv" >&2
  "$python" -m venv .venv
fi

# torch is pinned to the CPU build these machines carry (torch==2.13.0 in pyproject.toml);
# the constraints file pins everything else to the versions the tests ran with.
stamp=".venv/.henry-setup-$extras"
digest=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$digest" ]]; then
  echo "setup: installing $spec (pinned by constraints.txt)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints.txt -e "$spec"
  # pygame and pygame-ce overwrite each other's files: keep only pygame-ce.
  if .venv/bin/python -m pip show pygame >/dev/null 2>&1; then
    .venv/bin/python -m pip uninstall --quiet -y pygame
    .venv/bin/python -m pip install --quiet --force-reinstall --no-deps -c constraints.txt pygame-ce
  fi
  echo "$digest" > "$stamp"
fi

# The window tests need a virtual display (Xvfb) and a way to press keys (xdotool).
# Install them when they are missing and we may.
if [[ "$extras" == "dev" || "$extras" == "bench" ]] && \
   ! { command -v Xvfb >/dev/null 2>&1 && command -v xdotool >/dev/null 2>&1; }; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing xvfb and xdotool for the window tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq xvfb xauth xdotool >/dev/null
  else
    echo "setup: Xvfb or xdotool is missing; the window tests will be skipped" >&2
  fi
fi

# Compile Henry's own modules once. Where PYTHONDONTWRITEBYTECODE is set (it is on these
# machines), every walker process, test worker and Ray worker would compile them again
# (0.4 s of CPU each); Python still reads bytecode it did not write, and recompiles a
# module whose source changed since.
.venv/bin/python -m compileall -q walker agents envs >/dev/null
