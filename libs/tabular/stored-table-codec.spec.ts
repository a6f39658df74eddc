import { IntegrityError } from '../common/errors';
import type { StoredTable } from './sequence-table';
import { STORED_TABLE_MAGIC, decodeStoredTable, storedTableBytes, storedTableChunks } from './stored-table-codec';

const KEY = 'datasets/abc/tables/0123456789abcdef.mltable';

function table(rows: number): StoredTable {
  const values = new Float32Array(rows * 3 * 2).map((_, k) => (k % 5 === 0 ? 0 : Math.log1p(k) / 3));
  return {
    columns: {
      entity: Array.from({ length: rows }, (_, k) => `u"${k}é`),
      count: Array.from({ length: rows }, (_, k) => k * 7 - 3),
      spend: Array.from({ length: rows }, (_, k) => (k % 4 === 0 ? null : k / 3)),
      big: Array.from({ length: rows }, (_, k) => 2 ** 40 + k),
      flag: Array.from({ length: rows }, (_, k) => k % 3 === 0),
      category: Array.from({ length: rows }, (_, k) => (k % 2 === 0 ? 'view' : k % 3 === 0 ? null : 'cart')),
      mixed: Array.from({ length: rows }, (_, k) => (k % 2 === 0 ? k : `x${k}`)),
      empty: Array.from({ length: rows }, () => null),
    },
    rowCount: rows,
    sequences: {
      events: { steps: 3, channels: ['a', 'b'], values, mask: new Uint8Array(rows * 3).map((_, k) => k % 2) },
    },
  };
}

const plain = (t: StoredTable) => ({
  ...t,
  sequences:
    t.sequences &&
    Object.fromEntries(
      Object.entries(t.sequences).map(([n, s]) => [
        n,
        { ...s, values: Array.from(s.values), mask: Array.from(s.mask) },
      ]),
    ),
});

describe('stored table codec', () => {
  it('round-trips numbers, integers, nulls, strings, booleans, categories, a mixed column and sequences', () => {
    const t = table(1_000);
    const bytes = storedTableBytes(t);
    expect(bytes.toString('latin1', 0, 4)).toBe(STORED_TABLE_MAGIC);
    const back = decodeStoredTable(bytes, KEY);
    expect(plain(back)).toEqual(plain(t));
    expect(Object.keys(back.columns)).toEqual(Object.keys(t.columns));
    expect(back.sequences?.events.values).toBeInstanceOf(Float32Array);
    expect(back.sequences?.events.mask).toBeInstanceOf(Uint8Array);
    // Views on the object's bytes, not copies.
    expect((back.sequences?.events.values as Float32Array).buffer).toBe(bytes.buffer);
  });

  it('reads null for non-finite numbers (as JSON does), keeps -0, and rounds float64 sequences to float32', () => {
    const t: StoredTable = {
      columns: { x: [1.5, NaN, Infinity, -0, null] },
      rowCount: 5,
      sequences: { s: { steps: 1, channels: ['c'], values: [0.1, 1 / 3, 0, 2, -1e-7], mask: [1, 1, 0, 1, 1] } },
    };
    const back = decodeStoredTable(storedTableBytes(t), KEY);
    expect(back.columns.x).toEqual([1.5, null, null, -0, null]);
    expect(Array.from(back.sequences?.s.values ?? [])).toEqual(
      Array.from(Float32Array.from([0.1, 1 / 3, 0, 2, -1e-7])),
    );
  });

  it('keeps the Int32 bounds in an integer column and widens past them; keeps a column named __proto__', () => {
    const t: StoredTable = {
      columns: {
        edge: [2 ** 31 - 1, -(2 ** 31), 0],
        wide: [2 ** 31, -(2 ** 31) - 1, 1],
        ['__proto__']: [1, 2, 3],
      },
      rowCount: 3,
    };
    const back = decodeStoredTable(storedTableBytes(t), KEY);
    expect(back.columns.edge).toEqual([2 ** 31 - 1, -(2 ** 31), 0]);
    expect(back.columns.wide).toEqual([2 ** 31, -(2 ** 31) - 1, 1]);
    expect(Object.keys(back.columns)).toEqual(['edge', 'wide', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(back.columns, '__proto__')?.value).toEqual([1, 2, 3]);
  });

  it('round-trips an empty table and a table of zero rows', () => {
    const empty: StoredTable = { columns: {}, rowCount: 0 };
    expect(decodeStoredTable(storedTableBytes(empty), KEY)).toEqual(empty);
    const zero = table(0);
    expect(plain(decodeStoredTable(storedTableBytes(zero), KEY))).toEqual(plain(zero));
  });

  it('streams chunks that add up to the object, and decodes from an unaligned buffer', () => {
    const t = table(777);
    const { byteLength, chunks } = storedTableChunks(t);
    const joined = Buffer.concat([...chunks]);
    expect(joined.length).toBe(byteLength);
    const unaligned = Buffer.alloc(joined.length + 3).subarray(3);
    joined.copy(unaligned);
    expect(plain(decodeStoredTable(unaligned, KEY))).toEqual(plain(t));
  });

  it('still reads a legacy JSON table', () => {
    const t = table(50);
    const legacy = Buffer.from(JSON.stringify(plain(t)));
    expect(decodeStoredTable(legacy, 'datasets/abc/tables/x.json')).toEqual(plain(t));
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 9)],
    ['cut inside the header', (b: Buffer) => b.subarray(0, 20)],
    ['cut inside the prefix', (b: Buffer) => b.subarray(0, 6)],
    ['with a corrupt header', (b: Buffer) => Buffer.concat([b.subarray(0, 12), Buffer.from('}{'), b.subarray(14)])],
    ['of another version', (b: Buffer) => Buffer.concat([b.subarray(0, 4), Buffer.from([9, 0, 0, 0]), b.subarray(8)])],
    ['empty', () => Buffer.alloc(0)],
    ['neither binary nor JSON', () => Buffer.from('PAR1 not a table')],
    ['truncated legacy JSON', () => Buffer.from(JSON.stringify(plain(table(5))).slice(0, 40))],
  ])('fails with an IntegrityError naming the key when the object is %s', (_, damage) => {
    const bad = damage(storedTableBytes(table(20)));
    expect(() => decodeStoredTable(bad, KEY)).toThrow(IntegrityError);
    expect(() => decodeStoredTable(bad, KEY)).toThrow(KEY);
  });

  it('fails naming the column when a JSON block is corrupt', () => {
    const bytes = storedTableBytes(table(20));
    const at = bytes.indexOf('["u\\"0');
    bytes[at] = 0x7b;
    expect(() => decodeStoredTable(bytes, KEY)).toThrow(/column "entity" is corrupt/);
  });
});
