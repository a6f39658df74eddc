import type { Cell } from './validate';

/** A per-entity sequence for sequence models: left-padded (most recent step last), with a mask. */
export interface StoredSequence {
  steps: number; // N (time steps per row)
  channels: string[]; // names of the per-step numeric channels, e.g. ['spend','transactions'] or ['is_view','is_cart','is_purchase','log_price','dt_log_hours']
  values: ArrayLike<number>; // row-major [rowCount, steps, channels.length], padding = 0
  mask: ArrayLike<number>; // row-major [rowCount, steps], 1 = real step, 0 = padding
}
export interface StoredTable {
  columns: Record<string, Cell[]>;
  rowCount: number;
  sequences?: Record<string, StoredSequence>;
}

const SLICE = 65_536;

/**
 * The table as UTF-8 JSON bytes, as `JSON.stringify` would write it, but with each sequence's values written
 * in slices: a 10M-event log's sequences hold ~35M numbers, and one string of them (plus the typed arrays'
 * conversion to `number[]`) was the largest part of the ingest's peak memory.
 */
export function storedTableJson(table: StoredTable): Buffer {
  const parts: Buffer[] = [];
  const put = (text: string) => parts.push(Buffer.from(text, 'utf8'));
  const putArray = (values: ArrayLike<number>) => {
    put('[');
    for (let start = 0; start < values.length; start += SLICE) {
      let text = start > 0 ? ',' : '';
      const end = Math.min(start + SLICE, values.length);
      for (let k = start; k < end; k++) {
        const v = values[k];
        text += (k > start ? ',' : '') + (Number.isFinite(v) ? String(v) : 'null');
      }
      put(text);
    }
    put(']');
  };
  put(`{"columns":${JSON.stringify(table.columns)},"rowCount":${table.rowCount}`);
  if (table.sequences) {
    put(',"sequences":{');
    Object.entries(table.sequences).forEach(([name, s], i) => {
      put(
        `${i > 0 ? ',' : ''}${JSON.stringify(name)}:{"steps":${s.steps},"channels":${JSON.stringify(s.channels)},"values":`,
      );
      putArray(s.values);
      put(',"mask":');
      putArray(s.mask);
      put('}');
    });
    put('}');
  }
  put('}');
  return Buffer.concat(parts);
}
