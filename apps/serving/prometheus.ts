import { LATENCY_BUCKETS_MS, binnedRocAuc, populationStabilityIndex } from '../../libs/serving/stats';
import type { ServingGateway } from './gateway';

/** Prometheus text exposition (format 0.0.4) of the gateway's per-version counters. */
export function prometheusText(gateway: ServingGateway): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const series: {
    labels: string;
    model: string;
    version: string;
    c: ReturnType<ServingGateway['snapshot']>['versions'][string];
  }[] = [];
  for (const model of gateway.models()) {
    const route = gateway.route(model);
    for (const [version, c] of Object.entries(gateway.snapshot(model).versions)) {
      const role =
        route?.champion?.version === version ? 'champion' : route?.canary?.version === version ? 'canary' : 'retired';
      series.push({ labels: `model="${esc(model)}",version="${esc(version)}",role="${role}"`, model, version, c });
    }
  }
  family('mlops_serving_requests_total', 'counter', 'Prediction requests answered (a batch counts once).');
  for (const s of series) out.push(`mlops_serving_requests_total{${s.labels}} ${s.c.requests}`);
  family('mlops_serving_rows_total', 'counter', 'Rows scored.');
  for (const s of series) out.push(`mlops_serving_rows_total{${s.labels}} ${s.c.rows}`);
  family('mlops_serving_errors_total', 'counter', 'Requests the model failed to score.');
  for (const s of series) out.push(`mlops_serving_errors_total{${s.labels}} ${s.c.errors}`);
  family('mlops_serving_shadow_requests_total', 'counter', 'Requests mirrored to a shadow version.');
  for (const s of series) out.push(`mlops_serving_shadow_requests_total{${s.labels}} ${s.c.shadowRequests}`);
  family('mlops_serving_request_duration_seconds', 'histogram', 'Request latency inside the gateway.');
  for (const s of series) {
    let cumulative = 0;
    LATENCY_BUCKETS_MS.forEach((ms, i) => {
      cumulative += s.c.latency[i];
      out.push(`mlops_serving_request_duration_seconds_bucket{${s.labels},le="${ms / 1000}"} ${cumulative}`);
    });
    cumulative += s.c.latency[LATENCY_BUCKETS_MS.length];
    out.push(`mlops_serving_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${cumulative}`);
    out.push(`mlops_serving_request_duration_seconds_sum{${s.labels}} ${s.c.latencySumMs / 1000}`);
    out.push(`mlops_serving_request_duration_seconds_count{${s.labels}} ${cumulative}`);
  }
  family('mlops_serving_feedback_total', 'counter', 'Outcomes reported for predictions of this version.');
  for (const s of series) out.push(`mlops_serving_feedback_total{${s.labels}} ${s.c.feedback.count}`);
  family('mlops_serving_online_roc_auc', 'gauge', 'ROC-AUC of this version on reported outcomes (classification).');
  for (const s of series) {
    const auc = binnedRocAuc(s.c.feedback);
    if (Number.isFinite(auc)) out.push(`mlops_serving_online_roc_auc{${s.labels}} ${auc}`);
  }
  family('mlops_serving_prediction_psi', 'gauge', 'Population stability index of live scores against the test set.');
  for (const s of series) {
    const ref = gateway.route(s.model);
    const served =
      ref?.champion?.version === s.version ? ref.champion : ref?.canary?.version === s.version ? ref.canary : null;
    const reference = served?.manifest.predictionReference;
    const psi = reference ? populationStabilityIndex(reference, s.c.scoreBins) : NaN;
    if (Number.isFinite(psi)) out.push(`mlops_serving_prediction_psi{${s.labels}} ${psi}`);
  }
  family('mlops_serving_canary_share', 'gauge', 'Share of callers routed to the canary.');
  for (const model of gateway.models()) {
    out.push(`mlops_serving_canary_share{model="${esc(model)}"} ${gateway.route(model)?.canaryShare ?? 0}`);
  }
  family('mlops_serving_invalid_requests_total', 'counter', 'Requests refused for invalid input (400).');
  for (const model of gateway.models()) {
    out.push(`mlops_serving_invalid_requests_total{model="${esc(model)}"} ${gateway.invalidRequests(model)}`);
  }
  return out.join('\n') + '\n';
}
