import { type BehaviourSpec, instantMs } from '../../spec/behaviour-spec';
import { type BehaviourTable, type SequenceStep, buildTable } from './output';
import { PairSet } from './pair-set';

const GROW = 1.5;

/** A Float64Array (or Uint32Array) that grows by {@link GROW} when an entity index runs past its end. */
function grow<T extends Float64Array | Uint32Array | Int32Array>(a: T, size: number, fill = 0): T {
  if (a.length >= size) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(size, Math.ceil(a.length * GROW)));
  next.set(a);
  if (fill !== 0) next.fill(fill, a.length);
  return next;
}

/**
 * Streaming per-entity accumulators over typed arrays: `add` one event at a time (in any order),
 * `finish` for the table. Memory is O(entities) (plus the distinct (entity, day / category / brand)
 * pairs and `steps + 1` sequence slots per entity), never O(events): a 10M-event log is folded in one pass.
 * Events after the horizon are ignored; events in (cutoff, horizon] feed the target only.
 */
export class BehaviourAccumulator {
  private readonly cutoff: number;
  private readonly horizon: number;
  private readonly types: Map<string, number>;
  private readonly windowsMs: number[];
  private readonly slots: number;
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly dictionary = new Map<string, number>();
  private readonly pairs = { days: new PairSet(), categories: new PairSet(), brands: new PairSet() };
  private cap = 0;
  private count = new Uint32Array(0); // events ≤ cutoff
  private byType = new Uint32Array(0); // [entity, type]
  private roles = new Uint32Array(0); // [entity, view|cart|purchase]
  private times = new Float64Array(0); // [entity, first, last, firstPurchase, lastPurchase]
  private money = new Float64Array(0); // [entity, spend, spendMax, viewedPriceSum, target]
  private distinct = new Uint32Array(0); // [entity, days, categories, brands]
  private windowed = new Float64Array(0); // [entity, window, events|purchases|spend]
  private seqTime = new Float64Array(0); // [entity, slot]
  private seqType = new Int32Array(0);
  private seqPrice = new Float64Array(0);
  private seqCount = new Uint32Array(0);

  constructor(private readonly spec: BehaviourSpec) {
    this.cutoff = instantMs(spec.cutoff);
    this.horizon = instantMs(spec.horizon);
    this.types = new Map(spec.eventType.values.map((v, i) => [v, i]));
    this.windowsMs = spec.windows.map((w) => w * 86_400_000);
    this.slots = spec.sequence ? spec.sequence.steps + 1 : 0;
  }

  /**
   * Folds one validated event in. `time` in ms since the epoch; `price` 0 when absent;
   * `category` / `brand` null when empty.
   */
  add(entity: string, time: number, type: string, price: number, category: string | null, brand: string | null): void {
    if (time > this.horizon) return;
    const e = this.entityIndex(entity);
    const s = this.spec.eventType;
    const isPurchase = type === s.purchase;
    if (time > this.cutoff) {
      if (isPurchase) this.money[e * 4 + 3] += this.spec.target === 'purchase-spend' ? price : 1;
      return;
    }
    const first = this.count[e] === 0;
    this.count[e]++;
    const t = this.types.get(type) ?? -1;
    if (t >= 0) this.byType[e * this.types.size + t]++;
    const role = type === s.view ? 0 : type === s.cart ? 1 : isPurchase ? 2 : -1;
    if (role >= 0) this.roles[e * 3 + role]++;
    const tm = e * 4;
    if (first || time < this.times[tm]) this.times[tm] = time;
    if (first || time > this.times[tm + 1]) this.times[tm + 1] = time;
    const m = e * 4;
    if (isPurchase) {
      if (this.roles[e * 3 + 2] === 1 || time < this.times[tm + 2]) this.times[tm + 2] = time;
      if (this.roles[e * 3 + 2] === 1 || time > this.times[tm + 3]) this.times[tm + 3] = time;
      this.money[m] += price;
      if (this.roles[e * 3 + 2] === 1 || price > this.money[m + 1]) this.money[m + 1] = price;
    }
    if (role === 0) this.money[m + 2] += price;
    this.pair(this.pairs.days, e, Math.floor(time / 86_400_000), 1);
    if (category !== null) this.pair(this.pairs.categories, e, this.intern(category), 2);
    if (brand !== null) this.pair(this.pairs.brands, e, this.intern(brand), 3);
    for (let w = 0; w < this.windowsMs.length; w++) {
      if (time <= this.cutoff - this.windowsMs[w]) continue;
      const k = (e * this.windowsMs.length + w) * 3;
      this.windowed[k]++;
      if (isPurchase) {
        this.windowed[k + 1]++;
        this.windowed[k + 2] += price;
      }
    }
    if (this.slots > 0) this.keepRecent(e, time, t, price);
  }

  /** The per-entity table: entities with at least one event at or before the cut-off, sorted by entity. */
  finish(): BehaviourTable {
    const order = this.names.map((_, i) => i).filter((i) => this.count[i] > 0);
    order.sort((a, b) => (this.names[a] < this.names[b] ? -1 : this.names[a] > this.names[b] ? 1 : 0));
    const K = this.types.size;
    const W = this.windowsMs.length;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read lazily by the getter below
    const self = this;
    return buildTable(
      this.spec,
      order.map((e) => ({
        entity: this.names[e],
        events: this.count[e],
        byType: Array.from(this.byType.subarray(e * K, e * K + K)),
        views: this.roles[e * 3],
        carts: this.roles[e * 3 + 1],
        purchases: this.roles[e * 3 + 2],
        first: this.times[e * 4],
        last: this.times[e * 4 + 1],
        firstPurchase: this.times[e * 4 + 2],
        lastPurchase: this.times[e * 4 + 3],
        spend: this.money[e * 4],
        spendMax: this.money[e * 4 + 1],
        viewedPriceSum: this.money[e * 4 + 2],
        target: this.money[e * 4 + 3],
        activeDays: this.distinct[e * 4 + 1],
        categories: this.distinct[e * 4 + 2],
        brands: this.distinct[e * 4 + 3],
        windows: Array.from({ length: W }, (_, w) => {
          const k = (e * W + w) * 3;
          return { events: this.windowed[k], purchases: this.windowed[k + 1], spend: this.windowed[k + 2] };
        }),
        // Built when the sequence step reads it, one entity at a time: materialising the kept events of
        // every entity at once (millions of objects) was the largest part of peak memory.
        get steps() {
          return self.slots > 0 ? self.steps(e) : [];
        },
      })),
    );
  }

  private entityIndex(entity: string): number {
    let e = this.ids.get(entity);
    if (e !== undefined) return e;
    e = this.names.length;
    // A fresh copy: `entity` is a slice of a parser chunk, and keeping the slice would keep the whole chunk alive.
    const own = Buffer.from(entity, 'utf8').toString('utf8');
    this.ids.set(own, e);
    this.names.push(own);
    if (e >= this.cap) this.reserve(e + 1);
    return e;
  }

  private reserve(size: number): void {
    this.cap = Math.max(size, Math.ceil(this.cap * GROW), 1024);
    const K = this.types.size;
    const W = this.windowsMs.length;
    this.count = grow(this.count, this.cap);
    this.byType = grow(this.byType, this.cap * K);
    this.roles = grow(this.roles, this.cap * 3);
    this.times = grow(this.times, this.cap * 4);
    this.money = grow(this.money, this.cap * 4);
    this.distinct = grow(this.distinct, this.cap * 4);
    this.windowed = grow(this.windowed, this.cap * W * 3);
    if (this.slots > 0) {
      this.seqTime = grow(this.seqTime, this.cap * this.slots);
      this.seqType = grow(this.seqType, this.cap * this.slots);
      this.seqPrice = grow(this.seqPrice, this.cap * this.slots);
      this.seqCount = grow(this.seqCount, this.cap);
    }
  }

  private intern(value: string): number {
    let id = this.dictionary.get(value);
    if (id === undefined) {
      id = this.dictionary.size;
      this.dictionary.set(Buffer.from(value, 'utf8').toString('utf8'), id);
    }
    return id;
  }

  /** Counts a distinct (entity, value) pair once; the pair is one float key (entity < 2^32, value < 2^20). */
  private pair(set: PairSet, e: number, value: number, slot: number): void {
    if (set.add(e * 1_048_576 + value)) this.distinct[e * 4 + slot]++;
  }

  /** Keeps the `steps + 1` most recent events (by time, then type index, then price) in fixed slots. */
  private keepRecent(e: number, time: number, type: number, price: number): void {
    const base = e * this.slots;
    const n = this.seqCount[e];
    let slot = n;
    if (n === this.slots) {
      slot = base;
      for (let k = base + 1; k < base + n; k++) if (this.older(k, slot)) slot = k;
      const newer =
        time > this.seqTime[slot] ||
        (time === this.seqTime[slot] &&
          (type > this.seqType[slot] || (type === this.seqType[slot] && price > this.seqPrice[slot])));
      if (!newer) return;
    } else {
      slot = base + n;
      this.seqCount[e]++;
    }
    this.seqTime[slot] = time;
    this.seqType[slot] = type;
    this.seqPrice[slot] = price;
  }

  private older(a: number, b: number): boolean {
    const [t, y, p] = [this.seqTime, this.seqType, this.seqPrice];
    return t[a] < t[b] || (t[a] === t[b] && (y[a] < y[b] || (y[a] === y[b] && p[a] < p[b])));
  }

  private steps(e: number): SequenceStep[] {
    const base = e * this.slots;
    const out: SequenceStep[] = [];
    for (let k = base; k < base + this.seqCount[e]; k++) {
      out.push({ time: this.seqTime[k], type: this.seqType[k], price: this.seqPrice[k] });
    }
    return out;
  }
}
