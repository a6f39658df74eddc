import { type StoredTable, storedTableJson } from './sequence-table';

describe('storedTableJson', () => {
  it('writes what JSON.stringify writes, typed arrays as JSON arrays, across slice boundaries', () => {
    const rows = 40_000;
    const values = new Float64Array(rows * 2).map((_, k) => (k % 7 === 0 ? 0 : Math.log1p(k) / 3));
    values[5] = -0;
    const mask = new Uint8Array(rows).map((_, k) => k % 2);
    const table: StoredTable = {
      columns: {
        entity: Array.from({ length: rows }, (_, k) => `u"${k}`),
        x: Array.from({ length: rows }, () => null),
      },
      rowCount: rows,
      sequences: { events: { steps: 1, channels: ['a', 'b'], values, mask } },
    };
    const plain = {
      ...table,
      sequences: { events: { steps: 1, channels: ['a', 'b'], values: Array.from(values), mask: Array.from(mask) } },
    };
    expect(storedTableJson(table).toString('utf8')).toBe(JSON.stringify(plain));
  });

  it('writes a table without sequences like JSON.stringify', () => {
    const table: StoredTable = { columns: { a: [1, 'x', true, null] }, rowCount: 4 };
    expect(storedTableJson(table).toString('utf8')).toBe(JSON.stringify(table));
  });
});
