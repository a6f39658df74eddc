import * as tf from '@tensorflow/tfjs';
import { ChannelMask, MaskedMeanPooling, PositionalEmbedding, TransformerEncoderBlock } from './transformer-layers';

export interface TransformerOptions {
  /** Model width `d`. */
  units: number;
  /** Attention heads; `units` must be divisible by it. */
  heads: number;
  /** Encoder blocks (1–2 here). */
  blocks: number;
  /** Hidden width of each block's feed-forward layer. */
  ffUnits: number;
  seed: number;
}

/**
 * A small Transformer encoder over a masked, left-padded sequence (the input layout of `buildSequenceModel`).
 *
 * `sequence [b, T, C]` (last channel = mask, 1 real / 0 padding)
 *   → input projection dense(d) `[b, T, d]` + learned positional embedding `[T, d]` (position T−1 = latest step)
 *   → `blocks` × encoder block (multi-head self-attention with padded keys at −inf before the softmax, residual +
 *     layer norm, feed-forward relu, residual + layer norm) `[b, T, d]`
 *   → mean over real steps `[b, d]`.
 * The custom layers are registered for serialisation (transformer-layers.ts), so save/load works as for any
 * layers model in a process that imports this module.
 */
export function transformerEncoder(sequence: tf.SymbolicTensor, o: TransformerOptions): tf.SymbolicTensor {
  const mask = new ChannelMask({ channel: -1, name: 'padding_mask' }).apply(sequence) as tf.SymbolicTensor;
  let h = tf.layers
    .dense({
      units: o.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed }),
      name: 'input_projection',
    })
    .apply(sequence) as tf.SymbolicTensor;
  h = new PositionalEmbedding({ seed: o.seed + 1, name: 'positions' }).apply(h) as tf.SymbolicTensor;
  for (let i = 0; i < o.blocks; i++) {
    h = new TransformerEncoderBlock({
      heads: o.heads,
      ffUnits: o.ffUnits,
      seed: o.seed + 10 * (i + 1),
      name: `encoder_${i + 1}`,
    }).apply([h, mask]) as tf.SymbolicTensor;
  }
  return new MaskedMeanPooling({ name: 'masked_mean' }).apply([h, mask]) as tf.SymbolicTensor;
}
