import { validateSpec } from '../../libs/spec/pipeline-spec';
import { snapshotTableKey } from './snapshot-writes';

describe(snapshotTableKey.name, () => {
  const spec = (data: object = {}, pii = false) =>
    validateSpec({
      apiVersion: 'mlops.dev/v1',
      kind: 'TrainingPipeline',
      model: { name: 'keys', task: 'regression' },
      data: {
        target: { column: 'y' },
        columns: [
          { name: 'email', type: 'string', ...(pii ? { pii: 'hash' } : {}) },
          { name: 'x', type: 'number' },
          { name: 'y', type: 'number' },
        ],
        ...data,
      },
      features: [{ column: 'x', transform: 'standardize' }],
    });
  const digest = 'a'.repeat(64);

  it('is the same for the same bytes and the same table shape, under the snapshot of those bytes', () => {
    expect(snapshotTableKey(digest, spec(), 'k1')).toBe(snapshotTableKey(digest, spec(), 'k2'));
    expect(snapshotTableKey(digest, spec(), undefined)).toMatch(/^datasets\/a{64}\/tables\/[0-9a-f]{16}\.mltable$/);
  });

  it('differs when the parse options or the PII key would give another table', () => {
    const base = snapshotTableKey(digest, spec(), undefined);
    expect(snapshotTableKey(digest, spec({ delimiter: ';' }), undefined)).not.toBe(base);
    expect(snapshotTableKey(digest, spec({ header: false }), undefined)).not.toBe(base);
    expect(snapshotTableKey(digest, spec({}, true), 'k1')).not.toBe(snapshotTableKey(digest, spec({}, true), 'k2'));
    expect(snapshotTableKey(digest, spec({}, true), 'k1')).not.toContain('k1');
  });
});
