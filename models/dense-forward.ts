import { type ModelFiles } from './model-io';

/**
 * A compiled, allocation-free forward pass of a dense TF.js layers model, for single-row serving
 * where a tfjs `model.predict` per request costs far more than the arithmetic.
 */
export interface DenseForward {
  /** Width of one input row: the model's input shape is `[batch, inputDim]`. */
  inputDim: number;
  /** Width of one output row: the model's output shape is `[batch, outputDim]`. */
  outputDim: number;
  /**
   * Runs the model on `rows` rows.
   *
   * @param x row-major `[rows, inputDim]` float32 inputs (at least `rows * inputDim` elements; only read).
   * @param rows number of rows, an integer ≥ 0.
   * @param out receives row-major `[rows, outputDim]` (at least `rows * outputDim` elements); must not overlap `x`.
   *
   * No allocation per call: scratch buffers are kept between calls and grow only when a bigger batch arrives.
   */
  predictInto(x: Float32Array, rows: number, out: Float32Array): void;
}

/**
 * Compiles a TF.js layers model saved by {@link modelToFiles} (`model.json` with `modelTopology` and
 * `weightsManifest`, plus `weights.bin`) into a pure-TypeScript {@link DenseForward}.
 *
 * Supported: a `Sequential` model, or a functional `Model` whose layers form one linear chain, made of
 * `InputLayer`, `Dense` (kernel `[in, out]`, optional bias `[out]`; activations linear, relu, sigmoid, tanh,
 * elu, selu, softplus, softsign), `Activation` (same activations) and the layers that are the identity at
 * inference (`Dropout`, `GaussianDropout`, `GaussianNoise`, `ActivityRegularization`); float32 weights only.
 * The input must be rank 2: `[batch, inputDim]`.
 *
 * @returns the compiled model, or `{ unsupported }` naming the first unsupported thing (layer class,
 *   activation, dtype, topology) so the caller can fall back to tfjs.
 * @throws Error for malformed files: invalid JSON, a weight missing from the manifest, a weight whose shape
 *   does not fit the layer, or a `weights.bin` whose byte length differs from what the manifest describes.
 */
export function compileDenseForward(files: ModelFiles): DenseForward | { unsupported: string } {
  const json = parseModelJson(files['model.json']);
  const chain = layerChain(json.modelTopology);
  if ('unsupported' in chain) return chain;
  // Everything unsupported is reported before any weight is read, so a fallback never hits a weight error.
  const plan = planLayers(chain);
  if ('unsupported' in plan) return plan;
  const specs = readManifest(json.weightsManifest);
  if ('unsupported' in specs) return specs;
  const weights = files['weights.bin'];
  const expectedBytes = specs.reduce((n, s) => n + s.byteLength, 0);
  if (weights.byteLength !== expectedBytes) {
    throw new Error(
      `dense-forward: weights.bin has ${weights.byteLength} bytes but the weightsManifest describes ${expectedBytes}`,
    );
  }
  const byName = new Map<string, WeightSpec>();
  for (const s of specs) {
    if (byName.has(s.name)) throw new Error(`dense-forward: weight "${s.name}" appears twice in the weightsManifest`);
    byName.set(s.name, s);
  }
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);

  const ops: Op[] = [];
  let width = plan.declaredInput;
  for (const step of plan.steps) {
    if (step.kind === 'act') {
      ops.push(step);
      continue;
    }
    const { layer, act } = step;
    const kernelSpec = findWeight(byName, layer.name, 'kernel');
    if (kernelSpec.shape.length !== 2) {
      throw new Error(`dense-forward: kernel of "${layer.name}" has shape [${kernelSpec.shape.join(', ')}]`);
    }
    const [inDim, outDim] = kernelSpec.shape;
    if (width !== undefined && inDim !== width) {
      throw new Error(
        `dense-forward: kernel of "${layer.name}" is [${inDim}, ${outDim}] but its input is ${width} wide`,
      );
    }
    if (typeof layer.config.units === 'number' && layer.config.units !== outDim) {
      throw new Error(
        `dense-forward: kernel of "${layer.name}" is [${inDim}, ${outDim}] but units is ${layer.config.units}`,
      );
    }
    // Stored [in, out] row-major; kept as [out, in] so each output is one contiguous dot product.
    const kernel = readFloats(view, kernelSpec);
    const kernelT = new Float32Array(inDim * outDim);
    for (let i = 0; i < inDim; i++) for (let j = 0; j < outDim; j++) kernelT[j * inDim + i] = kernel[i * outDim + j];
    let bias: Float32Array | null = null;
    if (layer.config.use_bias !== false) {
      const biasSpec = findWeight(byName, layer.name, 'bias');
      if (biasSpec.shape.length !== 1 || biasSpec.shape[0] !== outDim) {
        throw new Error(
          `dense-forward: bias of "${layer.name}" has shape [${biasSpec.shape.join(', ')}], not [${outDim}]`,
        );
      }
      bias = readFloats(view, biasSpec);
    }
    ops.push({ kind: 'dense', inDim, outDim, kernelT, bias, act });
    width = outDim;
  }
  const inputDim = plan.declaredInput ?? ops.find((op): op is DenseOp => op.kind === 'dense')?.inDim;
  if (inputDim === undefined) {
    throw new Error('dense-forward: the model declares no input shape and has no Dense layer');
  }
  return new CompiledDense(inputDim, width ?? inputDim, ops);
}

type PlanStep = ActOp | { kind: 'dense'; layer: ChainLayer; act: Act };

/** Checks every layer against what is supported (class, activation, dtype, input rank); reads no weights. */
function planLayers(chain: ChainLayer[]): { steps: PlanStep[]; declaredInput?: number } | { unsupported: string } {
  const steps: PlanStep[] = [];
  let declaredInput: number | undefined;
  for (const layer of chain) {
    const c = layer.config;
    const shape = c.batch_input_shape ?? (c.input_shape ? [null, ...c.input_shape] : undefined);
    if (shape !== undefined) {
      if (shape.length !== 2 || typeof shape[1] !== 'number') {
        return { unsupported: `input shape ${JSON.stringify(shape)} of layer "${layer.name}" (only [batch, n])` };
      }
      if (declaredInput !== undefined && declaredInput !== shape[1]) {
        throw new Error(`dense-forward: layer "${layer.name}" declares input width ${shape[1]}, not ${declaredInput}`);
      }
      declaredInput = shape[1];
    }
    const dtype = dtypeName(c.dtype);
    if (dtype !== undefined && dtype !== 'float32') {
      return { unsupported: `dtype ${dtype} of layer "${layer.name}" (${layer.className})` };
    }
    switch (layer.className) {
      case 'InputLayer':
      case 'Dropout':
      case 'GaussianDropout':
      case 'GaussianNoise':
      case 'ActivityRegularization':
        break;
      case 'Activation':
      case 'Dense': {
        const act = activationCode(c.activation);
        if (act === undefined) {
          const name = typeof c.activation === 'string' ? c.activation : JSON.stringify(c.activation);
          return { unsupported: `activation "${name}" of layer "${layer.name}" (${layer.className})` };
        }
        if (layer.className === 'Dense') steps.push({ kind: 'dense', layer, act });
        else if (act !== Act.Linear) steps.push({ kind: 'act', act });
        break;
      }
      default:
        return { unsupported: `layer class ${layer.className} ("${layer.name}")` };
    }
  }
  return { steps, declaredInput };
}

const enum Act {
  Linear,
  Relu,
  Sigmoid,
  Tanh,
  Elu,
  Selu,
  Softplus,
  Softsign,
}

interface DenseOp {
  kind: 'dense';
  inDim: number;
  outDim: number;
  /** Kernel transposed to row-major `[outDim, inDim]`. */
  kernelT: Float32Array;
  /** `[outDim]`, or null for `use_bias: false`. */
  bias: Float32Array | null;
  act: Act;
}

interface ActOp {
  kind: 'act';
  act: Act;
}

type Op = DenseOp | ActOp;

class CompiledDense implements DenseForward {
  private readonly maxWidth: number;
  private readonly lastDense: number;
  private capacityRows = 0;
  private bufA = new Float32Array(0);
  private bufB = new Float32Array(0);

  constructor(
    readonly inputDim: number,
    readonly outputDim: number,
    private readonly ops: readonly Op[],
  ) {
    let lastDense = -1;
    let maxWidth = inputDim;
    ops.forEach((op, k) => {
      if (op.kind === 'dense') {
        lastDense = k;
        maxWidth = Math.max(maxWidth, op.outDim);
      }
    });
    this.lastDense = lastDense;
    this.maxWidth = maxWidth;
    this.ensureCapacity(1);
  }

  predictInto(x: Float32Array, rows: number, out: Float32Array): void {
    if (!Number.isInteger(rows) || rows < 0)
      throw new RangeError(`dense-forward: rows must be an integer ≥ 0, got ${rows}`);
    if (x.length < rows * this.inputDim) {
      throw new RangeError(`dense-forward: x has ${x.length} elements, needs ${rows} × ${this.inputDim}`);
    }
    if (out.length < rows * this.outputDim) {
      throw new RangeError(`dense-forward: out has ${out.length} elements, needs ${rows} × ${this.outputDim}`);
    }
    if (rows > this.capacityRows) this.ensureCapacity(rows);
    let cur = x;
    let width = this.inputDim;
    const ops = this.ops;
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k];
      if (op.kind === 'dense') {
        const dst = k === this.lastDense ? out : cur === this.bufA ? this.bufB : this.bufA;
        denseInto(cur, rows, op, dst);
        applyActivation(dst, rows * op.outDim, op.act);
        cur = dst;
        width = op.outDim;
      } else {
        if (cur === x) {
          // Never write into the caller's input.
          this.bufA.set(x.subarray(0, rows * width));
          cur = this.bufA;
        }
        applyActivation(cur, rows * width, op.act);
      }
    }
    if (cur !== out) out.set(cur.subarray(0, rows * width));
  }

  private ensureCapacity(rows: number): void {
    const capacity = Math.max(rows, this.capacityRows * 2);
    this.bufA = new Float32Array(capacity * this.maxWidth);
    this.bufB = new Float32Array(capacity * this.maxWidth);
    this.capacityRows = capacity;
  }
}

/** dst[r, j] = bias[j] + Σ_i src[r, i] · kernel[i, j] for r < rows; src `[rows, inDim]`, dst `[rows, outDim]`. */
function denseInto(src: Float32Array, rows: number, op: DenseOp, dst: Float32Array): void {
  const { inDim, outDim, kernelT: w, bias } = op;
  const tail = inDim & 3;
  for (let r = 0; r < rows; r++) {
    const xo = r * inDim;
    const xEnd = xo + inDim - tail;
    const oo = r * outDim;
    for (let j = 0; j < outDim; j++) {
      let wo = j * inDim;
      // Four accumulators: independent add chains, and the sum is kept in float64.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let i = xo;
      for (; i < xEnd; i += 4, wo += 4) {
        s0 += src[i] * w[wo];
        s1 += src[i + 1] * w[wo + 1];
        s2 += src[i + 2] * w[wo + 2];
        s3 += src[i + 3] * w[wo + 3];
      }
      for (; i < xEnd + tail; i++, wo++) s0 += src[i] * w[wo];
      dst[oo + j] = (bias === null ? 0 : bias[j]) + (s0 + s1 + (s2 + s3));
    }
  }
}

const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

/** Applies `act` in place to buf[0, n). The switch is outside the loops, so each loop is monomorphic. */
function applyActivation(buf: Float32Array, n: number, act: Act): void {
  switch (act) {
    case Act.Linear:
      return;
    case Act.Relu:
      for (let i = 0; i < n; i++) if (buf[i] < 0) buf[i] = 0;
      return;
    case Act.Sigmoid:
      for (let i = 0; i < n; i++) {
        const v = buf[i];
        // exp of a non-positive number only: no overflow for large |v|.
        if (v >= 0) {
          buf[i] = 1 / (1 + Math.exp(-v));
        } else {
          const e = Math.exp(v);
          buf[i] = e / (1 + e);
        }
      }
      return;
    case Act.Tanh:
      for (let i = 0; i < n; i++) buf[i] = Math.tanh(buf[i]);
      return;
    case Act.Elu:
      for (let i = 0; i < n; i++) if (buf[i] < 0) buf[i] = Math.expm1(buf[i]);
      return;
    case Act.Selu:
      for (let i = 0; i < n; i++) {
        const v = buf[i];
        buf[i] = v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * Math.expm1(v);
      }
      return;
    case Act.Softplus:
      for (let i = 0; i < n; i++) {
        const v = buf[i];
        buf[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return;
    case Act.Softsign:
      for (let i = 0; i < n; i++) buf[i] = buf[i] / (1 + Math.abs(buf[i]));
      return;
  }
}

function activationCode(name: unknown): Act | undefined {
  switch (name ?? 'linear') {
    case 'linear':
      return Act.Linear;
    case 'relu':
      return Act.Relu;
    case 'sigmoid':
      return Act.Sigmoid;
    case 'tanh':
      return Act.Tanh;
    case 'elu':
      return Act.Elu;
    case 'selu':
      return Act.Selu;
    case 'softplus':
      return Act.Softplus;
    case 'softsign':
      return Act.Softsign;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// model.json parsing

interface LayerConfig {
  name?: string;
  units?: number;
  activation?: unknown;
  use_bias?: boolean;
  dtype?: unknown;
  batch_input_shape?: (number | null)[];
  input_shape?: (number | null)[];
}

interface LayerJson {
  class_name: string;
  name?: string;
  config: LayerConfig;
  inbound_nodes?: unknown[];
}

interface ChainLayer {
  className: string;
  name: string;
  config: LayerConfig;
}

interface WeightSpec {
  name: string;
  shape: number[];
  /** Byte offset in weights.bin: the summed byte lengths of the weights before it. */
  offset: number;
  byteLength: number;
}

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: unknown;
}

function parseModelJson(bytes: Buffer): ModelJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new Error(`dense-forward: model.json is not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.modelTopology) || !Array.isArray(parsed.weightsManifest)) {
    throw new Error('dense-forward: model.json needs a modelTopology object and a weightsManifest array');
  }
  return { modelTopology: parsed.modelTopology, weightsManifest: parsed.weightsManifest };
}

/** The model's layers in execution order, or the reason they are not one supported linear chain. */
function layerChain(topology: unknown): ChainLayer[] | { unsupported: string } {
  // Keras-converted files wrap the model in { model_config, training_config }.
  const model = isRecord(topology) && isRecord(topology.model_config) ? topology.model_config : topology;
  if (!isRecord(model) || typeof model.class_name !== 'string') {
    throw new Error('dense-forward: modelTopology has no class_name');
  }
  const config = model.config;
  const layers: unknown = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) throw new Error(`dense-forward: modelTopology (${model.class_name}) has no layers`);
  for (const l of layers) {
    if (!isRecord(l) || typeof l.class_name !== 'string' || !isRecord(l.config)) {
      throw new Error('dense-forward: a layer in modelTopology has no class_name or config');
    }
  }
  const layerJsons = layers as LayerJson[];
  const named = (l: LayerJson): ChainLayer => ({
    className: l.class_name,
    name: l.config.name ?? l.name ?? '?',
    config: l.config,
  });

  if (model.class_name === 'Sequential') return layerJsons.map(named);
  if (model.class_name !== 'Model' && model.class_name !== 'Functional') {
    return { unsupported: `model class ${model.class_name}` };
  }
  // Functional: walk back from the single output to the single input, one inbound tensor per layer.
  const cfg = config as { input_layers?: unknown[]; output_layers?: unknown[] };
  if (cfg.input_layers?.length !== 1 || cfg.output_layers?.length !== 1) {
    return { unsupported: 'functional model without exactly one input and one output' };
  }
  const byName = new Map(layerJsons.map((l) => [l.name ?? l.config.name, l]));
  const reversed: LayerJson[] = [];
  let current = byName.get(tensorRefLayer(cfg.output_layers[0]));
  const inputName = tensorRefLayer(cfg.input_layers[0]);
  while (current) {
    reversed.push(current);
    if (reversed.length > layerJsons.length) return { unsupported: 'functional model with a cycle' };
    const nodes = current.inbound_nodes ?? [];
    if (nodes.length === 0) break;
    const node = nodes[0];
    if (nodes.length !== 1 || !Array.isArray(node) || node.length !== 1) {
      return { unsupported: `layer class ${current.class_name} ("${current.name}") is not in a linear chain` };
    }
    const next = byName.get(tensorRefLayer(node[0]));
    if (!next) throw new Error(`dense-forward: layer "${current.name}" has an unknown inbound layer`);
    current = next;
  }
  const chain = reversed.reverse().map(named);
  if (chain.length === 0 || chain[0].name !== inputName) {
    throw new Error('dense-forward: the functional model output does not lead back to its input layer');
  }
  return chain;
}

/** The layer name in a `[layerName, nodeIndex, tensorIndex, kwargs?]` reference. */
function tensorRefLayer(ref: unknown): string {
  return Array.isArray(ref) && typeof ref[0] === 'string' ? ref[0] : '';
}

/** Weight specs in manifest order, with cumulative byte offsets across all groups. */
function readManifest(manifest: unknown): WeightSpec[] | { unsupported: string } {
  const specs: WeightSpec[] = [];
  let offset = 0;
  for (const group of manifest as unknown[]) {
    if (!isRecord(group) || !Array.isArray(group.weights)) {
      throw new Error('dense-forward: a weightsManifest group has no weights array');
    }
    for (const w of group.weights as unknown[]) {
      if (!isRecord(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) {
        throw new Error('dense-forward: a weightsManifest entry has no name or shape');
      }
      if (w.quantization !== undefined && w.quantization !== null) {
        return { unsupported: `quantized weight "${w.name}"` };
      }
      if (w.dtype !== 'float32') return { unsupported: `weight "${w.name}" of dtype ${String(w.dtype)}` };
      const shape = w.shape as unknown[];
      if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
        throw new Error(`dense-forward: weight "${w.name}" has an invalid shape ${JSON.stringify(shape)}`);
      }
      const dims = shape as number[];
      const byteLength = 4 * dims.reduce((a, b) => a * b, 1);
      specs.push({ name: w.name, shape: dims, offset, byteLength });
      offset += byteLength;
    }
  }
  return specs;
}

function findWeight(byName: Map<string, WeightSpec>, layer: string, kind: 'kernel' | 'bias'): WeightSpec {
  const exact = byName.get(`${layer}/${kind}`);
  if (exact) return exact;
  // Nested scopes (`outer/dense/kernel`) are accepted only when unambiguous.
  const suffix = `/${layer}/${kind}`;
  const scoped = [...byName.values()].filter((s) => s.name.endsWith(suffix));
  if (scoped.length === 1) return scoped[0];
  throw new Error(
    scoped.length > 1
      ? `dense-forward: several weights end with "${suffix}": ${scoped.map((s) => s.name).join(', ')}`
      : `dense-forward: weight "${layer}/${kind}" is missing from the weightsManifest`,
  );
}

/** Copies a weight out of weights.bin (little-endian float32; the Buffer may be unaligned). */
function readFloats(view: DataView, spec: WeightSpec): Float32Array {
  const n = spec.byteLength / 4;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = view.getFloat32(spec.offset + 4 * i, true);
  return a;
}

function dtypeName(dtype: unknown): string | undefined {
  if (dtype === undefined || dtype === null) return undefined;
  if (typeof dtype === 'string') return dtype;
  // Keras 3 serialises a DTypePolicy object.
  if (isRecord(dtype) && isRecord(dtype.config) && typeof dtype.config.name === 'string') return dtype.config.name;
  return JSON.stringify(dtype);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
