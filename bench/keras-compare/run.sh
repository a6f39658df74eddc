#!/usr/bin/env bash
# TF.js (each available backend) vs Python Keras (tensorflow-cpu) training: same data file, model, epochs,
# batch size and optimizer. Creates a venv under ~/.cache/mlops-platform/keras-venv on first use (pip install
# tensorflow-cpu from PyPI), builds the TypeScript, runs every side one after the other (never in parallel),
# and writes bench/results/keras-compare.json. Usage: npm run bench:keras
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${MLOPS_KERAS_VENV:-${HOME}/.cache/mlops-platform/keras-venv}
TF_VERSION=${MLOPS_KERAS_TF_VERSION:-2.21.0}
PYTHON=${PYTHON:-python3.11}
DATA=.mlops/keras-compare
if [[ ! -x "${VENV}/bin/python" ]] || ! "${VENV}/bin/python" -c 'import tensorflow' 2>/dev/null; then
  "${PYTHON}" -m venv "${VENV}"
  "${VENV}/bin/pip" install --quiet "tensorflow-cpu==${TF_VERSION}"
fi
npx tsc -p tsconfig.build.json
bench=dist/bench/keras-compare/keras-compare.bench.js
mkdir -p "${DATA}/runs"
node "${bench}" data "${DATA}"
results=()
for model in mlp lstm; do
  for backend in wasm cpu; do
    out="${DATA}/runs/tfjs-${model}-${backend}.json"
    node "${bench}" train "${DATA}" "${model}" "${backend}" | tail -1 >"${out}"
    results+=("${out}")
  done
  out="${DATA}/runs/keras-${model}.json"
  "${VENV}/bin/python" bench/keras-compare/keras_compare.py "${DATA}" "${model}" | tail -1 >"${out}"
  results+=("${out}")
  out="${DATA}/runs/keras-${model}-1thread.json"
  "${VENV}/bin/python" bench/keras-compare/keras_compare.py "${DATA}" "${model}" --threads 1 | tail -1 >"${out}"
  results+=("${out}")
done
node "${bench}" report "${DATA}" "${results[@]}"
