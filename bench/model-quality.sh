#!/usr/bin/env bash
# Model quality on the real datasets, from the example specs alone, through the running platform
# (npm run start first). Each spec runs fresh (--rerun) to its approval step; the script prints the
# candidate's test metrics (95% bootstrap intervals) next to the baseline trained in the same run on the
# same split, and writes bench/results/model-quality.json. The CDNOW sequence models (lstm, transformer) run on the
# same split as the CDNOW MLP. Without the control plane (only Temporal + MinIO, worker in-process):
#   node dist/bench/pipeline-quality.bench.js <out-name> <spec> <data> [<spec> <data> ...]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${MLOPS_SHARED_DATASETS:-../shared/datasets}
mlops() { node dist/apps/cli/main.js "$@"; }
runs=(
  "pipelines/online-shoppers-intent.yaml ${DATA}/online_shoppers_intention/online_shoppers_intention.csv"
  "pipelines/taiwan-credit-default.yaml ${DATA}/taiwan_credit_default/UCI_Credit_Card.csv"
  "pipelines/cdnow-purchase-power.yaml ${DATA}/cdnow/CDNOW_master.txt"
  "pipelines/cdnow-purchase-power-lstm.yaml ${DATA}/cdnow/CDNOW_master.txt"
  "pipelines/cdnow-purchase-power-transformer.yaml ${DATA}/cdnow/CDNOW_master.txt"
)
out=()
for r in "${runs[@]}"; do
  read -r spec data <<<"${r}"
  id=$(mlops --as alice --json run start "${spec}" --data "${data}" --rerun --no-watch | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).workflowId')
  mlops --as alice --json run watch "${id}" >/dev/null || true
  out+=("$(mlops --as bob --json run show "${id}")")
done
printf '%s\n' "${out[@]}" | node -e '
  const runs = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l).progress);
  const keys = { "binary-classification": ["rocAuc", "prAuc", "f1", "logLoss"], regression: ["pearson", "spearman", "rmse", "mae", "totalError", "topDecileShare"] };
  const f = (v) => (v === undefined ? "-" : v.toFixed(3));
  for (const r of runs) {
    const task = r.metrics.rocAuc !== undefined ? "binary-classification" : "regression";
    console.log(`\n${r.model} (${r.dataset.rows} rows, test ${r.metrics.testRows}, backend ${r.training.backend}, status ${r.status})`);
    console.log("| metric | candidate (95% CI) | baseline |\n| --- | --- | --- |");
    for (const k of keys[task]) {
      const ci = r.intervals?.[k];
      console.log(`| ${k} | ${f(r.metrics[k])} (${f(ci?.lo)}–${f(ci?.hi)}) | ${f(r.baselineMetrics?.[k])} |`);
    }
  }
  require("fs").writeFileSync("bench/results/model-quality.json", JSON.stringify({ date: new Date().toISOString(), runs }, null, 1));'
