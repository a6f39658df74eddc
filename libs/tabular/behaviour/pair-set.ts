const EMPTY = -1;
const MAX_LOAD = 0.6;

/**
 * A set of non-negative integer keys (< 2^53) in one open-addressing `Float64Array` (linear probing).
 *
 * Replaces `Set<number>` for the distinct (entity, value) pairs of the behaviour accumulator: those keys
 * exceed the small-integer range, so a `Set` boxes each one as a heap number (~60–80 bytes an entry with
 * its table), while this costs 8 bytes a slot, ≤ 14 bytes an entry at the load limit, with no GC pressure.
 */
export class PairSet {
  private table: Float64Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity * MAX_LOAD < initialCapacity) capacity *= 2;
    this.table = new Float64Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key`; returns true when it was not there before. */
  add(key: number): boolean {
    let i = slotOf(key) & this.mask;
    const t = this.table;
    for (;;) {
      const k = t[i];
      if (k === EMPTY) break;
      if (k === key) return false;
      i = (i + 1) & this.mask;
    }
    t[i] = key;
    if (++this.count > this.table.length * MAX_LOAD) this.rehash();
    return true;
  }

  has(key: number): boolean {
    let i = slotOf(key) & this.mask;
    for (;;) {
      const k = this.table[i];
      if (k === EMPTY) return false;
      if (k === key) return true;
      i = (i + 1) & this.mask;
    }
  }

  private rehash(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(EMPTY);
    this.mask = this.table.length - 1;
    for (const k of old) {
      if (k === EMPTY) continue;
      let i = slotOf(k) & this.mask;
      while (this.table[i] !== EMPTY) i = (i + 1) & this.mask;
      this.table[i] = k;
    }
  }
}

/** A 32-bit mix of both halves of the key (murmur3's finaliser), so nearby keys spread over the table. */
function slotOf(key: number): number {
  const lo = (key % 4_294_967_296) | 0;
  const hi = Math.floor(key / 4_294_967_296) | 0;
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
