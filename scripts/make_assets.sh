#!/usr/bin/env bash
# Rebuild the pretrained policies in assets/ (each from a fixed seed), so `walker watch NAME`,
# `walker race` and `walker record` can show a walking Henry without training first.
#   scripts/make_assets.sh            all of them
#   scripts/make_assets.sh qlearning  one of them
set -euo pipefail
cd "$(dirname "$0")/.."
walker=.venv/bin/walker
which="${1:-all}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() {  # name, then the training arguments
  local name=$1; shift
  if [[ "$which" == all || "$which" == "$name" ]]; then
    "$walker" train "$@" --seed 0 --no-progress --out "$work/$name"
    cp "$work/$name/checkpoint.pt" "assets/$name.pt"
    echo "assets/$name.pt written"
  fi
}

build qlearning-henry --agent qlearning --steps 12000 --episode-steps 20 --random-starts
build dqn-henry --agent dqn --steps 30000 --episode-steps 20 --random-starts
build ppo-henry-continuous --agent ppo --env HenryContinuous-v0 --steps 200000 --num-envs 4
