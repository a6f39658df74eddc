import type { Cell } from './validate';

/** A per-entity sequence for sequence models: left-padded (most recent step last), with a mask. */
export interface StoredSequence {
  steps: number; // N (time steps per row)
  channels: string[]; // names of the per-step numeric channels, e.g. ['spend','transactions'] or ['is_view','is_cart','is_purchase','log_price','dt_log_hours']
  values: ArrayLike<number>; // row-major [rowCount, steps, channels.length], padding = 0; stored as Float32
  mask: ArrayLike<number>; // row-major [rowCount, steps], 1 = real step, 0 = padding
}
/**
 * The validated, typed table stored with a snapshot; written and read by `stored-table-codec.ts`
 * (binary `.mltable`; legacy `.json` tables are still read).
 */
export interface StoredTable {
  columns: Record<string, Cell[]>;
  rowCount: number;
  sequences?: Record<string, StoredSequence>;
}
