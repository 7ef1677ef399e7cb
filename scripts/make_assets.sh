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

# The learned walk: 600k steps with the walking reward option, then 400k more from there.
if [[ "$which" == all || "$which" == ppo-henry-walk ]]; then
  walk=(--agent ppo --env HenryContinuous-v0 --env-arg walking_reward=true
        --env-arg fall_penalty=3000 --env-arg flight_cost=50 --env-arg slip_cost=2
        --normalize-reward --log-std-init -1.0 --batch-size 256 --num-envs 4 --seed 0
        --no-progress)
  "$walker" train "${walk[@]}" --steps 600000 --out "$work/walk-600k"
  "$walker" train "${walk[@]}" --steps 400000 --resume "$work/walk-600k/checkpoint.pt" \
    --out "$work/walk-1m"
  cp "$work/walk-1m/checkpoint.pt" assets/ppo-henry-walk.pt
  echo "assets/ppo-henry-walk.pt written"
fi
