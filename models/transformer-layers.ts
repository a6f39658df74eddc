import * as tf from '@tensorflow/tfjs';

/**
 * Custom TF.js layers for the Transformer encoder (tfjs-layers has no MultiHeadAttention). Each is registered
 * with `tf.serialization.registerClass` when this module loads, so a saved model that uses them loads through
 * `tf.loadLayersModel` in any process that imports this file (models/transformer.ts does).
 *
 * Shapes: `b` batch, `T` time steps, `C` channels, `d` model width, `H` heads.
 */

type Shape = (number | null)[];

/** `[b, T, C]` → `[b, T]`: channel `channel` (negative counts from the end) of each step, as the padding mask. */
export class ChannelMask extends tf.layers.Layer {
  static readonly className = 'MlopsChannelMask';
  private readonly channel: number;

  constructor(config: { channel: number; name?: string }) {
    super(config);
    this.channel = config.channel;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], inputShape[1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const c = x.shape[2] as number;
      const k = this.channel < 0 ? c + this.channel : this.channel;
      return tf.squeeze(tf.slice(x, [0, 0, k], [-1, -1, 1]), [2]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), channel: this.channel };
  }
}

/** `[b, T, d]` → `[b, T, d]`: adds a learned embedding of each position (position T−1 is the latest step). */
export class PositionalEmbedding extends tf.layers.Layer {
  static readonly className = 'MlopsPositionalEmbedding';
  private readonly seed: number;
  private position?: tf.LayerVariable;

  constructor(config: { seed: number; name?: string }) {
    super(config);
    this.seed = config.seed;
  }

  override build(inputShape: Shape): void {
    const init = tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: this.seed });
    this.position = this.addWeight('position', [inputShape[1], inputShape[2]], 'float32', init);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(first(inputs), (this.position as tf.LayerVariable).read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}

/**
 * One post-norm encoder block. Inputs `[h [b, T, d], mask [b, T]]` (mask 1 = real step, 0 = padding), output
 * `[b, T, d]`:
 *   a = MultiHeadSelfAttention(h) with the scores of padded keys set to −1e9 (−inf in effect) before the softmax,
 *   so a padded step gets exactly zero weight whatever its values;
 *   h₁ = LayerNorm(h + a);  out = LayerNorm(h₁ + W₂·relu(W₁·h₁ + b₁) + b₂).
 * Outputs at padded positions are not meaningful: pool them away with {@link MaskedMeanPooling}.
 */
export class TransformerEncoderBlock extends tf.layers.Layer {
  static readonly className = 'MlopsTransformerEncoderBlock';
  private readonly heads: number;
  private readonly ffUnits: number;
  private readonly seed: number;
  private w: Record<string, tf.LayerVariable> = {};

  constructor(config: { heads: number; ffUnits: number; seed: number; name?: string }) {
    super(config);
    this.heads = config.heads;
    this.ffUnits = config.ffUnits;
    this.seed = config.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = (inputShape as Shape[])[0][2] as number;
    if (d % this.heads !== 0) throw new Error(`${this.name}: width ${d} is not divisible by ${this.heads} heads`);
    let seed = this.seed;
    const glorot = () => tf.initializers.glorotUniform({ seed: seed++ });
    const add = (name: string, shape: number[], init: ReturnType<typeof tf.initializers.zeros>) => {
      this.w[name] = this.addWeight(name, shape, 'float32', init);
    };
    for (const n of ['query', 'key', 'value', 'output']) {
      add(`${n}_kernel`, [d, d], glorot());
      add(`${n}_bias`, [d], tf.initializers.zeros());
    }
    add('ff1_kernel', [d, this.ffUnits], glorot());
    add('ff1_bias', [this.ffUnits], tf.initializers.zeros());
    add('ff2_kernel', [this.ffUnits, d], glorot());
    add('ff2_bias', [d], tf.initializers.zeros());
    for (const n of ['norm1', 'norm2']) {
      add(`${n}_gamma`, [d], tf.initializers.ones());
      add(`${n}_beta`, [d], tf.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (inputShape as Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [h, mask] = inputs as tf.Tensor[];
      const [b, t, d] = h.shape as [number, number, number];
      const heads = this.heads;
      const dk = d / heads;
      const v = (name: string) => this.w[name].read();
      const dense = (x: tf.Tensor, name: string) =>
        tf.add(tf.matMul(tf.reshape(x, [-1, x.shape[2] as number]), v(`${name}_kernel`)), v(`${name}_bias`));
      // [b·T, d] → [b·H, T, dk]
      const split = (x: tf.Tensor) =>
        tf.reshape(tf.transpose(tf.reshape(x, [b, t, heads, dk]), [0, 2, 1, 3]), [-1, t, dk]);
      const q = split(dense(h, 'query'));
      const k = split(dense(h, 'key'));
      const value = split(dense(h, 'value'));
      const scores = tf.reshape(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk)), [b, heads, t, t]);
      const keyPenalty = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [b, 1, 1, t]);
      const weights = tf.reshape(tf.softmax(tf.add(scores, keyPenalty)), [-1, t, t]);
      const context = tf.reshape(tf.transpose(tf.reshape(tf.matMul(weights, value), [b, heads, t, dk]), [0, 2, 1, 3]), [
        b,
        t,
        d,
      ]);
      const attended = tf.reshape(dense(context, 'output'), [b, t, d]);
      const h1 = this.layerNorm(tf.add(h, attended), 'norm1');
      const ff = dense(tf.reshape(tf.relu(dense(h1, 'ff1')), [b, t, this.ffUnits]), 'ff2');
      return this.layerNorm(tf.add(h1, tf.reshape(ff, [b, t, d])), 'norm2');
    });
  }

  private layerNorm(x: tf.Tensor, name: string): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    const normalised = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6)));
    return tf.add(tf.mul(normalised, this.w[`${name}_gamma`].read()), this.w[`${name}_beta`].read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, ffUnits: this.ffUnits, seed: this.seed };
  }
}

/** `[h [b, T, d], mask [b, T]]` → `[b, d]`: the mean of `h` over real steps (an all-padding row gives zeros). */
export class MaskedMeanPooling extends tf.layers.Layer {
  static readonly className = 'MlopsMaskedMeanPooling';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [s] = inputShape as Shape[];
    return [s[0], s[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [h, mask] = inputs as tf.Tensor[];
      const m = tf.expandDims(mask, 2);
      return tf.div(tf.sum(tf.mul(h, m), 1), tf.maximum(tf.sum(m, 1), 1));
    });
  }
}

function first(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

for (const cls of [ChannelMask, PositionalEmbedding, TransformerEncoderBlock, MaskedMeanPooling]) {
  tf.serialization.registerClass(cls);
}
