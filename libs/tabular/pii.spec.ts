import type { ColumnSpec } from '../spec/pipeline-spec';
import { scrubRow } from './pii';

describe(scrubRow.name, () => {
  const header = ['brand', 'user_id', 'session'];
  const specs = [
    { name: 'brand', type: 'string' },
    { name: 'user_id', type: 'string', pii: 'hash' },
    { name: 'session', type: 'string', pii: 'drop' },
  ] as ColumnSpec[];

  it('hashes and drops PII columns by their header position', () => {
    const [brand, user, session] = scrubRow(header, ['acme', 'u-1', 's-9'], specs, 'key');
    expect([brand, session]).toEqual(['acme', '']);
    expect(user).toMatch(/^pii_[0-9a-f]{24}$/);
    expect(user).not.toContain('u-1');
  });

  it('keeps none of a row whose fields do not line up with the header (the PII could be anywhere)', () => {
    // An unquoted comma in the brand moves the user id into the session's place and adds a field.
    const row = ['acme', ' inc', 'u-1', 's-9'];
    expect(scrubRow(header, row, specs, 'key')).toEqual(['', '', '']);
    // Without PII in the spec, the row is kept as it came.
    const plain = specs.map((s) => ({ ...s, pii: undefined }));
    expect(scrubRow(header, row, plain, 'key')).toEqual(row);
  });
});
