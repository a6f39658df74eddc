import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { binnedRocAuc, latencyQuantile, populationStabilityIndex } from '../../libs/serving/stats';
import { GatewayError, type ServingGateway } from './gateway';
import { prometheusText } from './prometheus';

export interface HttpOptions {
  /** Largest accepted request body (bytes); larger bodies get 413. */
  maxBodyBytes: number;
  /** Most rows in one prediction request. */
  maxRows: number;
}

const PREDICT = /^\/v1\/models\/([a-z0-9][a-z0-9-]*)\/predict$/;
const MODEL = /^\/v1\/models\/([a-z0-9][a-z0-9-]*)$/;

/**
 * The gateway's HTTP API on `node:http` (the data plane: no framework on the hot path).
 *
 * - `POST /v1/models/:name/predict` `{"instances": [{…raw fields…}], "key"?: "user-42"}` → the version
 *   that answered and, per row, `{id, score, label?}`; the caller key may also come as `X-Caller-Key`.
 * - `POST /v1/feedback` `{"predictionId", "outcome"}` or `{"feedback": [...]}` → 202.
 * - `GET /v1/models`, `GET /v1/models/:name`: routes and per-version live statistics (JSON).
 * - `GET /metrics` (Prometheus), `GET /healthz`, `GET /readyz`.
 */
export function createGatewayServer(gateway: ServingGateway, o: HttpOptions): Server {
  return createServer((req, res) => {
    const startedAt = performance.now();
    handle(gateway, o, req, res, startedAt).catch((err: unknown) => fail(res, err));
  });
}

async function handle(
  gateway: ServingGateway,
  o: HttpOptions,
  req: IncomingMessage,
  res: ServerResponse,
  startedAt: number,
) {
  const url = req.url ?? '/';
  const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
  if (req.method === 'POST') {
    const predict = PREDICT.exec(path);
    if (predict) {
      const body = await readJson(req, o.maxBodyBytes);
      const instances = body.instances;
      if (!Array.isArray(instances) || instances.length === 0) {
        throw new GatewayError(400, 'Body must be {"instances": [ {field: value, ...}, ... ]} with at least one row');
      }
      if (instances.length > o.maxRows)
        throw new GatewayError(400, `At most ${o.maxRows} rows per request, found ${instances.length}`);
      const header = req.headers['x-caller-key'];
      const key = typeof body.key === 'string' ? body.key : typeof header === 'string' ? header : undefined;
      const answer = await gateway.predict(predict[1], instances, key, startedAt);
      return send(res, 200, answer, { 'x-model-version': answer.version });
    }
    if (path === '/v1/feedback') {
      const body = await readJson(req, o.maxBodyBytes);
      const items = Array.isArray(body.feedback)
        ? (body.feedback as { predictionId: unknown; outcome: unknown }[])
        : [body as { predictionId: unknown; outcome: unknown }];
      return send(res, 202, { accepted: gateway.feedback(items) });
    }
  }
  if (req.method === 'GET') {
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(prometheusText(gateway));
    }
    if (path === '/healthz') return send(res, 200, { status: 'ok', instance: gateway.instance });
    if (path === '/readyz') {
      const missing = gateway.models().filter((m) => !gateway.route(m)?.champion);
      return send(res, 200, { status: 'ready', models: gateway.models(), withoutChampion: missing });
    }
    if (path === '/v1/models') return send(res, 200, { models: gateway.models().map((m) => describe(gateway, m)) });
    const model = MODEL.exec(path);
    if (model) {
      if (!gateway.route(model[1])) throw new GatewayError(404, `Model ${model[1]} is not served here`);
      return send(res, 200, describe(gateway, model[1]));
    }
  }
  throw new GatewayError(404, `No route ${req.method} ${path}`);
}

/** A model's route and per-version live statistics, as the CLI and people read them. */
function describe(gateway: ServingGateway, model: string) {
  const route = gateway.route(model);
  const versions = Object.entries(gateway.snapshot(model).versions).map(([version, c]) => {
    const served =
      route?.champion?.version === version ? route.champion : route?.canary?.version === version ? route.canary : null;
    const reference = served?.manifest.predictionReference;
    return {
      version,
      role: served === route?.champion ? 'champion' : served ? (route?.shadow ? 'shadow' : 'canary') : 'retired',
      engine: served?.engine,
      requests: c.requests,
      shadowRequests: c.shadowRequests,
      rows: c.rows,
      errorRate: c.requests + c.shadowRequests > 0 ? c.errors / (c.requests + c.shadowRequests) : null,
      latencyP50Ms: latencyQuantile(c, 0.5),
      latencyP99Ms: latencyQuantile(c, 0.99),
      psi: reference ? populationStabilityIndex(reference, c.scoreBins) : null,
      feedback: c.feedback.count,
      onlineRocAuc: served?.manifest.task === 'binary-classification' ? binnedRocAuc(c.feedback) : null,
      onlineMae:
        served?.manifest.task === 'regression' && c.feedback.count > 0
          ? c.feedback.absErrorSum / c.feedback.count
          : null,
    };
  });
  return {
    model,
    instance: gateway.instance,
    champion: route?.champion?.version ?? null,
    canary: route?.canary?.version ?? null,
    canaryShare: route?.canaryShare ?? 0,
    shadow: route?.shadow ?? false,
    deploymentRevision: route?.revision ?? 0,
    versions,
  };
}

function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    return Promise.reject(new GatewayError(415, `Content-Type must be application/json, found "${type}"`));
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit)
    return Promise.reject(new GatewayError(413, `Body of ${declared} bytes exceeds the ${limit}-byte limit`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new GatewayError(413, `Body exceeds the ${limit}-byte limit`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        const parsed: unknown = JSON.parse(
          chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'),
        );
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch (err) {
        reject(new GatewayError(400, `Body is not a JSON object: ${(err as Error).message}`));
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  if (err instanceof GatewayError) {
    return send(res, err.status, {
      error: err.code,
      message: err.message,
      ...(err.problems ? { problems: err.problems } : {}),
    });
  }
  send(res, 500, { error: 'INTERNAL', message: (err as Error).message });
}
