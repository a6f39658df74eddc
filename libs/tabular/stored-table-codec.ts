import { endianness } from 'node:os';
import { IntegrityError } from '../common/errors';
import type { StoredSequence, StoredTable } from './sequence-table';
import type { Cell } from './validate';

/**
 * The binary stored table (`.mltable`), one object:
 *
 * ```
 * 0   "MLTB"                magic
 * 4   u32 LE                format version (1)
 * 8   u32 LE                header length H in bytes
 * 12  H bytes of UTF-8 JSON header (TableHeader), zero-padded to a multiple of 8
 * …   blocks, each at an offset (from the object's start) that is a multiple of 8
 * ```
 *
 * Blocks: a column of integers in the Int32 range without `null` is `i32` (Int32 LE: counts, flags); any other
 * column whose cells are all numbers or `null` is `f64` (Float64 LE, `null` = NaN; a non-finite number is stored
 * as NaN and reads back `null`, as `JSON.stringify` writes it; -0 stays -0). Any other column (strings,
 * booleans, a mix of numbers and strings) is `json`: the UTF-8 JSON array of its cells. Sequence values are
 * Float32 LE `[rowCount, steps, channels]`, masks Uint8 `[rowCount, steps]`.
 */
export const STORED_TABLE_EXTENSION = '.mltable';
export const STORED_TABLE_MAGIC = 'MLTB';
const VERSION = 1;
const PREFIX = 12;
const ALIGN = 8;
const LITTLE_ENDIAN = endianness() === 'LE';

interface Block {
  offset: number;
  byteLength: number;
}
interface TableHeader {
  rowCount: number;
  byteLength: number;
  columns: ({ name: string; kind: Kind } & Block)[];
  sequences: { name: string; steps: number; channels: string[]; values: Block; mask: Block }[];
}

const pad = (n: number) => (ALIGN - (n % ALIGN)) % ALIGN;
type Kind = 'i32' | 'f64' | 'json';
const isInt32 = (v: Cell) => typeof v === 'number' && (v | 0) === v && !Object.is(v, -0);

function kindOf(cells: Cell[]): Kind {
  if (cells.every(isInt32)) return 'i32';
  return cells.every((v) => v === null || typeof v === 'number') ? 'f64' : 'json';
}
const WIDTH = { i32: 4, f64: 8 } as const;

/**
 * The table as binary chunks, in order; their lengths add up to `byteLength`. Number columns and sequence
 * values are produced one block at a time as the chunks are consumed (a `Float32Array` sequence is not
 * copied), so streaming them to the object store never holds the whole object.
 */
export function storedTableChunks(table: StoredTable): { byteLength: number; chunks: Iterable<Buffer> } {
  const json = new Map<string, Buffer>();
  const kinds = new Map<string, Kind>();
  for (const [name, cells] of Object.entries(table.columns)) {
    if (cells.length !== table.rowCount)
      throw new RangeError(`column "${name}" has ${cells.length} cells for ${table.rowCount} rows`);
    const kind = kindOf(cells);
    kinds.set(name, kind);
    if (kind === 'json') json.set(name, Buffer.from(JSON.stringify(cells), 'utf8'));
  }
  let at = 0;
  const block = (byteLength: number): Block => {
    const b = { offset: at, byteLength };
    at += byteLength + pad(byteLength);
    return b;
  };
  const columns: TableHeader['columns'] = Object.entries(table.columns).map(([name, cells]) => {
    const kind = kinds.get(name) as Kind;
    const bytes = json.get(name);
    return { name, kind, ...block(bytes ? bytes.length : cells.length * WIDTH[kind as 'i32' | 'f64']) };
  });
  const sequences = Object.entries(table.sequences ?? {}).map(([name, s]) => {
    checkSequence(name, s, table.rowCount);
    return {
      name,
      steps: s.steps,
      channels: s.channels,
      values: block(s.values.length * 4),
      mask: block(s.mask.length),
    };
  });
  // Offsets are relative to the payload until the header's own length is known; the header's length grows with
  // the offsets' digits, so it is measured with the final total once more.
  const headerFor = (start: number) => {
    const shift = (b: Block) => ({ offset: b.offset + start, byteLength: b.byteLength });
    const h: TableHeader = {
      rowCount: table.rowCount,
      byteLength: start + at,
      columns: columns.map((c) => ({ ...c, ...shift(c) })),
      sequences: sequences.map((s) => ({ ...s, values: shift(s.values), mask: shift(s.mask) })),
    };
    return Buffer.from(JSON.stringify(h), 'utf8');
  };
  let start = 0;
  let header = headerFor(start);
  for (;;) {
    const next = PREFIX + header.length + pad(PREFIX + header.length);
    if (next === start) break;
    start = next;
    header = headerFor(start);
  }
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(STORED_TABLE_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(VERSION, 4);
  prefix.writeUInt32LE(header.length, 8);
  function* chunks(): Generator<Buffer> {
    yield prefix;
    yield header;
    yield zeros(pad(PREFIX + header.length));
    for (const [name, cells] of Object.entries(table.columns)) {
      const bytes = json.get(name) ?? (kinds.get(name) === 'i32' ? i32Column(cells) : f64Column(cells));
      yield bytes;
      yield zeros(pad(bytes.length));
    }
    for (const s of Object.values(table.sequences ?? {})) {
      const values = f32Bytes(s.values);
      yield values;
      yield zeros(pad(values.length));
      const mask = s.mask instanceof Uint8Array ? viewOf(s.mask) : Buffer.from(Uint8Array.from(s.mask));
      yield mask;
      yield zeros(pad(mask.length));
    }
  }
  return { byteLength: start + at, chunks: chunks() };
}

/** The whole binary table in one buffer (for small tables; large ones stream {@link storedTableChunks}). */
export function storedTableBytes(table: StoredTable): Buffer {
  const { byteLength, chunks } = storedTableChunks(table);
  return Buffer.concat([...chunks], byteLength);
}

/**
 * Reads a stored table: the binary format above, or a legacy JSON table (objects written before it, keyed
 * `….json`), told apart by the first bytes. Sequences of a binary table are typed-array views on `bytes`
 * (copied once first only when `bytes` is not 8-byte aligned); columns are decoded to `Cell[]`.
 *
 * @throws IntegrityError naming `key` when the object is truncated, corrupt, or neither format.
 */
export function decodeStoredTable(bytes: Buffer, key: string): StoredTable {
  const fail = (why: string): never => {
    throw new IntegrityError(`Stored table ${key} is unreadable: ${why}`, { key });
  };
  if (bytes.length >= 4 && bytes.toString('latin1', 0, 4) === STORED_TABLE_MAGIC) return decodeBinary(bytes, fail);
  const first = bytes.subarray(0, 64).toString('utf8').trimStart()[0];
  if (first !== '{') return fail(bytes.length === 0 ? 'the object is empty' : 'neither a binary table nor JSON');
  let table: StoredTable;
  try {
    table = JSON.parse(bytes.toString('utf8')) as StoredTable;
  } catch (err) {
    return fail(`legacy JSON does not parse (${(err as Error).message}): truncated or corrupt`);
  }
  if (typeof table.rowCount !== 'number' || typeof table.columns !== 'object' || table.columns === null)
    fail('legacy JSON has no rowCount or columns');
  return table;
}

function decodeBinary(raw: Buffer, fail: (why: string) => never): StoredTable {
  if (raw.length < PREFIX) fail(`truncated: ${raw.length} bytes`);
  const version = raw.readUInt32LE(4);
  if (version !== VERSION) fail(`format version ${version}, this reader knows ${VERSION}`);
  const headerLength = raw.readUInt32LE(8);
  if (PREFIX + headerLength > raw.length) fail(`truncated: header of ${headerLength} bytes, object of ${raw.length}`);
  let h: TableHeader;
  try {
    h = JSON.parse(raw.toString('utf8', PREFIX, PREFIX + headerLength)) as TableHeader;
  } catch (err) {
    return fail(`corrupt header (${(err as Error).message})`);
  }
  if (!Number.isInteger(h.rowCount) || !Array.isArray(h.columns) || !Array.isArray(h.sequences))
    fail('corrupt header (no rowCount, columns or sequences)');
  if (h.byteLength !== raw.length) fail(`truncated or padded: ${raw.length} bytes, the header says ${h.byteLength}`);
  // Typed-array views need their offset aligned to the element size: blocks are 8-aligned in the object, so the
  // buffer itself must be; copy once when it is not (a pooled or sliced Buffer).
  const bytes = raw.byteOffset % ALIGN === 0 ? raw : Buffer.from(new Uint8Array(raw).buffer);
  const at = (b: Block, element: number, what: string) => {
    if (
      !Number.isInteger(b?.offset) ||
      !Number.isInteger(b?.byteLength) ||
      b.offset % ALIGN !== 0 ||
      b.byteLength % element !== 0 ||
      b.offset + b.byteLength > bytes.length
    )
      fail(`block of ${what} out of bounds`);
    return bytes.byteOffset + b.offset;
  };
  const columns: Record<string, Cell[]> = {};
  for (const c of h.columns) {
    let cells: Cell[] = [];
    if (c.kind === 'i32') {
      const view = int32s(bytes, at(c, 4, `column "${c.name}"`), c.byteLength / 4);
      cells = Array.from(view);
    } else if (c.kind === 'f64') {
      const view = float64s(bytes, at(c, 8, `column "${c.name}"`), c.byteLength / 8);
      cells = new Array<Cell>(view.length);
      for (let i = 0; i < view.length; i++) cells[i] = Number.isNaN(view[i]) ? null : view[i];
    } else if (c.kind === 'json') {
      const from = at(c, 1, `column "${c.name}"`) - bytes.byteOffset;
      try {
        cells = JSON.parse(bytes.toString('utf8', from, from + c.byteLength)) as Cell[];
      } catch (err) {
        fail(`column "${c.name}" is corrupt (${(err as Error).message})`);
      }
    } else fail(`column "${c.name}" has unknown kind ${String(c.kind)}`);
    if (!Array.isArray(cells) || cells.length !== h.rowCount)
      fail(`column "${c.name}" has ${cells.length} cells for ${h.rowCount} rows`);
    // defineProperty, not assignment: a column named `__proto__` must stay a column.
    Object.defineProperty(columns, c.name, { value: cells, enumerable: true, writable: true, configurable: true });
  }
  const table: StoredTable = { columns, rowCount: h.rowCount };
  if (h.sequences.length > 0) {
    table.sequences = {};
    for (const s of h.sequences) {
      const sequence: StoredSequence = {
        steps: s.steps,
        channels: s.channels,
        values: float32s(bytes, at(s.values, 4, `sequence "${s.name}" values`), s.values.byteLength / 4),
        mask: new Uint8Array(bytes.buffer, at(s.mask, 1, `sequence "${s.name}" mask`), s.mask.byteLength),
      };
      try {
        checkSequence(s.name, sequence, h.rowCount);
      } catch (err) {
        fail((err as Error).message);
      }
      table.sequences[s.name] = sequence;
    }
  }
  return table;
}

function checkSequence(name: string, s: StoredSequence, rowCount: number): void {
  if (s.values.length !== rowCount * s.steps * s.channels.length || s.mask.length !== rowCount * s.steps)
    throw new RangeError(
      `sequence "${name}" has ${s.values.length} values and ${s.mask.length} mask entries for ` +
        `${rowCount} rows × ${s.steps} steps × ${s.channels.length} channels`,
    );
}

function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

function viewOf(a: Float64Array | Float32Array | Int32Array | Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function f64Column(cells: Cell[]): Buffer {
  const out = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i] as number | null;
    out[i] = v === null || !Number.isFinite(v) ? NaN : v;
  }
  return LITTLE_ENDIAN ? viewOf(out) : swapped(out, 8);
}

function i32Column(cells: Cell[]): Buffer {
  const out = Int32Array.from(cells as number[]);
  if (LITTLE_ENDIAN) return viewOf(out);
  const b = Buffer.alloc(out.length * 4);
  out.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

function f32Bytes(values: ArrayLike<number>): Buffer {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return LITTLE_ENDIAN ? viewOf(f32) : swapped(f32, 4);
}

/** Big-endian hosts only: the LE bytes of a typed array, element by element. */
function swapped(a: Float64Array | Float32Array, size: 4 | 8): Buffer {
  const out = Buffer.alloc(a.length * size);
  for (let i = 0; i < a.length; i++) {
    if (size === 8) out.writeDoubleLE(a[i], i * 8);
    else out.writeFloatLE(a[i], i * 4);
  }
  return out;
}

function float64s(bytes: Buffer, byteOffset: number, length: number): Float64Array {
  if (LITTLE_ENDIAN) return new Float64Array(bytes.buffer, byteOffset, length);
  const from = byteOffset - bytes.byteOffset;
  return Float64Array.from({ length }, (_, i) => bytes.readDoubleLE(from + i * 8));
}

function int32s(bytes: Buffer, byteOffset: number, length: number): Int32Array {
  if (LITTLE_ENDIAN) return new Int32Array(bytes.buffer, byteOffset, length);
  const from = byteOffset - bytes.byteOffset;
  return Int32Array.from({ length }, (_, i) => bytes.readInt32LE(from + i * 4));
}

function float32s(bytes: Buffer, byteOffset: number, length: number): Float32Array {
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer, byteOffset, length);
  const from = byteOffset - bytes.byteOffset;
  return Float32Array.from({ length }, (_, i) => bytes.readFloatLE(from + i * 4));
}
