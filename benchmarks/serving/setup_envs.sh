#!/usr/bin/env bash
# One virtualenv per alternative server under benchmarks/serving/envs/ (git-ignored), pinned by
# requirements/<name>.txt + requirements/common.txt. torch==2.13.0 (the CPU build) goes in first.
# Usage: benchmarks/serving/setup_envs.sh [litserve bentoml mlserver ray]   (idempotent)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3.11}"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(litserve bentoml mlserver ray)
for name in "${names[@]}"; do
  env="$here/envs/$name"
  if [ -f "$env/.installed" ] && [ "$env/.installed" -nt "$here/requirements/$name.txt" ]; then
    echo "$name: ready"; continue
  fi
  echo "$name: installing into $env"
  rm -rf "$env"
  "$python" -m venv "$env"
  "$env/bin/pip" install --quiet --upgrade pip
  "$env/bin/pip" install --quiet torch==2.13.0
  "$env/bin/pip" install --quiet -r "$here/requirements/common.txt" -r "$here/requirements/$name.txt"
  "$env/bin/pip" freeze > "$env/freeze.txt"
  touch "$env/.installed"
  echo "$name: done"
done
