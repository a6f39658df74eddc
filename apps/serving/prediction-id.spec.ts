import { PredictionIds } from './prediction-id';

describe(PredictionIds.name, () => {
  const ids = new PredictionIds('gateway-key');

  it('reads back the model, version and score (as float32) of an id it issued', () => {
    for (const score of [0, 1, 0.5, 0.1234567, -3.75, 1e-8, 123456.789]) {
      const id = ids.issue('churn', 'v12', score);
      expect(ids.read(id)).toEqual({ model: 'churn', version: 'v12', score: Math.fround(score) });
    }
  });

  it('is read by another instance with the same key (another replica, or after a restart)', () => {
    const id = ids.issue('credit-default', '20240501-abc', 0.75);
    expect(new PredictionIds('gateway-key').read(id)).toEqual({
      model: 'credit-default',
      version: '20240501-abc',
      score: 0.75,
    });
  });

  it('refuses an id signed with another key', () => {
    const id = new PredictionIds('other-key').issue('churn', 'v12', 0.5);
    expect(ids.read(id)).toBeUndefined();
  });

  it('refuses a tampered id', () => {
    const id = ids.issue('churn', 'v12', 0.25);
    const [model, version, bits, nonce, mac] = id.split('~');
    const forged = (parts: string[]) => parts.join('~');
    expect(ids.read(forged([model, 'v13', bits, nonce, mac]))).toBeUndefined();
    expect(ids.read(forged(['other', version, bits, nonce, mac]))).toBeUndefined();
    expect(ids.read(forged([model, version, (0.9).toString(16), nonce, mac]))).toBeUndefined();
    expect(ids.read(forged([model, version, bits, `${nonce}0`, mac]))).toBeUndefined();
    const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A');
    expect(ids.read(forged([model, version, bits, nonce, flipped]))).toBeUndefined();
    expect(ids.read(forged([model, version, bits, nonce, mac.slice(1)]))).toBeUndefined();
    expect(ids.read(`${id}x`)).toBeUndefined();
  });

  it('refuses garbage', () => {
    for (const garbage of ['', 'abc', '~', '~~~~', 'a~b~c~d~e', '🙂~🙂', 'x'.repeat(10_000)]) {
      expect(ids.read(garbage)).toBeUndefined();
    }
  });

  it('issues unique ids, even for the same prediction', () => {
    const issued = new Set<string>();
    for (let i = 0; i < 1000; i++) issued.add(ids.issue('churn', 'v12', 0.5));
    expect(issued.size).toBe(1000);
    for (const id of issued) expect(ids.read(id)).toEqual({ model: 'churn', version: 'v12', score: 0.5 });
  });
});
