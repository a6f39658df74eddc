import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface TfBackendInfo {
  /** TF.js backend name as reported by `tf.getBackend()` after selection. */
  backend: string;
  /** npm package that provides it. */
  provider:
    '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | '@tensorflow/tfjs-backend-wasm' | '@tensorflow/tfjs';
  gpu: boolean;
  /** Why faster options were not used (e.g. a native package that is not installed). */
  notes: string[];
}

let selected: Promise<TfBackendInfo> | undefined;

/**
 * Selects the fastest TF.js backend that works in this process, once:
 * `tfjs-node-gpu` → `tfjs-node` (native libtensorflow, both optional dependencies) →
 * `tfjs-backend-wasm` (SIMD, single-threaded: WASM threads do not work under Node) → `cpu`.
 * Verifies the result with `tf.getBackend()`, since TF.js silently falls back on failure.
 */
export function initTfBackend(preference: BackendPreference = 'auto'): Promise<TfBackendInfo> {
  selected ??= select(preference);
  return selected;
}

async function select(preference: BackendPreference): Promise<TfBackendInfo> {
  const notes: string[] = [];
  if (preference === 'auto' || preference === 'tensorflow') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const) {
      try {
        // Optional native packages: absent where their install script could not download libtensorflow.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(pkg);
        await tf.setBackend('tensorflow');
        await tf.ready();
        if (tf.getBackend() === 'tensorflow') {
          return { backend: 'tensorflow', provider: pkg, gpu: pkg.endsWith('-gpu') && hasCudaDevice(), notes };
        }
      } catch (err) {
        notes.push(`${pkg}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`);
      }
    }
  }
  if (preference !== 'cpu') {
    try {
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
      wasm.setWasmPaths(`${dir}${path.sep}`);
      wasm.setThreadsCount(1);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        if (tf.getBackend() === 'wasm')
          return { backend: 'wasm', provider: '@tensorflow/tfjs-backend-wasm', gpu: false, notes };
      }
      notes.push('@tensorflow/tfjs-backend-wasm: setBackend refused');
    } catch (err) {
      notes.push(`@tensorflow/tfjs-backend-wasm: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { backend: tf.getBackend(), provider: '@tensorflow/tfjs', gpu: false, notes };
}

function hasCudaDevice(): boolean {
  // tfjs-node-gpu loads without a GPU and then runs on the CPU: ask the driver.
  return existsSync('/dev/nvidia0');
}
