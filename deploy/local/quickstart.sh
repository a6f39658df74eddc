#!/usr/bin/env bash
# `npm run quickstart`: from a fresh clone to a promoted model and a prediction.
# Installs what is missing, starts Temporal + MinIO + worker + control plane, generates seeded
# e-commerce data, launches a run as alice (engineer), approves it as bob (reviewer), then prints
# the promoted version, its metrics and a prediction made with the model fetched from the registry.
set -euo pipefail
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/../.." && pwd)
cd "${REPO_ROOT}"
started=$(date +%s)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
mlops() { node dist/apps/cli/main.js "$@"; }

step "1/7 install, build and start: Temporal dev server, MinIO, worker, control plane, serving gateway"
bash "${SCRIPT_DIR}/stack.sh" start

step "2/7 generate seeded e-commerce data (users with a latent purchase power → sessions of view/cart/purchase)"
node dist/pipelines/datagen/cli.js --users 3000 --seed 42 --out .mlops/quickstart

step "3/7 alice (engineer) launches pipelines/generated-intent.yaml"
run_id=$(mlops --as alice --json run start pipelines/generated-intent.yaml --data .mlops/quickstart/sessions.csv --rerun --no-watch | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).workflowId')
mlops --as alice run watch "${run_id}"

step "4/7 alice tries to approve her own run (refused), then bob (reviewer) approves"
if mlops --as alice approve "${run_id}" -m "looks good to me"; then echo "self-approval was accepted: this is a bug" >&2; exit 1; fi
mlops --as bob approve "${run_id}" -m "Gates pass, MLP beats the logistic baseline; approved for production"
mlops --as bob run watch "${run_id}"

step "5/7 the promoted version in the registry"
mlops --as bob --json run show "${run_id}" | node -e '
  const r = JSON.parse(require("fs").readFileSync(0, "utf8")).progress;
  console.log(`champion: ${r.model}/${r.version} (approved by ${r.approval.reviewer.subject}: "${r.approval.comment}")`);
  const f = (v) => (v === undefined ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(4));
  for (const [k, v] of Object.entries(r.metrics)) console.log(`  ${k.padEnd(14)} ${f(v).padStart(8)}   baseline ${f(r.baselineMetrics?.[k]).padStart(8)}`);'

step "6/7 checkout-service fetches the champion (sha256 verified) and scores two sessions"
mlops --as checkout-service model predict generated-intent --rows '[
  {"n_views": 14, "n_carts": 3, "n_distinct_categories": 2, "session_duration_s": 1260, "mean_viewed_price": 180, "max_viewed_price": 420, "hour_of_day": 20, "weekday": 5, "device": "desktop", "traffic_source": "email", "region": "north", "age_band": "35-44", "visitor_type": "returning", "previous_sessions": 9, "previous_purchases": 3},
  {"n_views": 2, "n_carts": 0, "n_distinct_categories": 1, "session_duration_s": 40, "mean_viewed_price": 25, "max_viewed_price": 30, "hour_of_day": 3, "weekday": 2, "device": "mobile", "traffic_source": "ads", "region": "south", "age_band": "18-24", "visitor_type": "new", "previous_sessions": 0, "previous_purchases": 0}]'

step "7/7 the serving gateway picks the new champion up and answers over HTTP (what the checkout page calls)"
version=$(mlops --as bob --json run show "${run_id}" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).progress.version')
for _ in $(seq 1 60); do
  curl -sf http://127.0.0.1:${MLOPS_SERVING_PORT:-8080}/v1/models/generated-intent | grep -q "\"champion\":\"${version}\"" && break
  sleep 0.5
done
curl -sS -X POST http://127.0.0.1:${MLOPS_SERVING_PORT:-8080}/v1/models/generated-intent/predict \
  -H 'content-type: application/json' -H 'x-caller-key: user-42' \
  -d '{"instances": [{"n_views": 14, "n_carts": 3, "n_distinct_categories": 2, "session_duration_s": 1260, "mean_viewed_price": 180, "max_viewed_price": 420, "hour_of_day": 20, "weekday": 5, "device": "desktop", "traffic_source": "email", "region": "north", "age_band": "35-44", "visitor_type": "returning", "previous_sessions": 9, "previous_purchases": 3}]}'
echo

cat <<MSG

Done in $(( $(date +%s) - started )) s. Still running, to explore:
  Temporal UI        http://127.0.0.1:8233   (the run's full history: stages, approval update, alias moves)
  API + OpenAPI      http://127.0.0.1:3000/docs
  Reviewer page      http://127.0.0.1:3000/ui     (sign in with a token from .mlops/auth/demo-credentials.json)
  Serving gateway    http://127.0.0.1:8080/v1/models   /metrics (Prometheus)
  MinIO console      http://127.0.0.1:9001   (credentials in .mlops/minio/credentials.env)
  CLI                node dist/apps/cli/main.js --as alice run list
Stop everything:     npm run stop
MSG
