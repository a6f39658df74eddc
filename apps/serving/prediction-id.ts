import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a prediction id carries, so feedback can reach any gateway replica (no per-replica state). */
export interface PredictionRef {
  model: string;
  version: string;
  score: number;
}

/**
 * Prediction ids: `<model>~<version>~<score as float32 hex>~<nonce>~<hmac>`, signed with the gateway's
 * key so feedback cannot invent predictions or move them between versions. Stateless: any replica, or a
 * restarted one, can attribute the outcome to the version and score that produced it.
 */
export class PredictionIds {
  private readonly f32 = new Float32Array(1);
  private readonly u32 = new Uint32Array(this.f32.buffer);
  private nonce = randomBytes(4).readUInt32BE(0);

  constructor(private readonly key: string) {}

  issue(model: string, version: string, score: number): string {
    this.f32[0] = score;
    this.nonce = (this.nonce + 1) >>> 0;
    const body = `${model}~${version}~${this.u32[0].toString(16)}~${this.nonce.toString(36)}`;
    return `${body}~${this.sign(body)}`;
  }

  /** `undefined` for anything this gateway family did not sign. */
  read(id: string): PredictionRef | undefined {
    const cut = id.lastIndexOf('~');
    if (cut < 0) return undefined;
    const body = id.slice(0, cut);
    const given = Buffer.from(id.slice(cut + 1));
    const expected = Buffer.from(this.sign(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const [model, version, bits] = body.split('~');
    this.u32[0] = Number.parseInt(bits, 16);
    return { model, version, score: this.f32[0] };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 16);
  }
}
