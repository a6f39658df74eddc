import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Readable } from 'node:stream';
import { generateSessions } from '../../pipelines/datagen/ecommerce';
import { toCsvRows } from '../../libs/tabular/csv';
import { EVENT_COLUMNS, eventLogSpec } from '../../test/support/event-log';
import type { EventLogResult } from '../../libs/tabular/behaviour/read-events';
import { readWithHeartbeat } from './events-ingest';
import { IngestHeartbeat, type IngestProgress } from './ingest-heartbeat';

const spec = eventLogSpec({ steps: 4, maxInvalidRowFraction: 0.01 });
const options = { columns: spec.data.columns, delimiter: ',', maxInvalidRowFraction: 0.01, behaviour: spec.behaviour! };
const events = [...generateSessions({ users: 60, seed: 3 })].flatMap((s) => s.events);
const csv = Buffer.from(toCsvRows([EVENT_COLUMNS, ...events.map((e) => EVENT_COLUMNS.map((c) => e[c]))]));

/** The CSV in 512-byte chunks, each a macrotask apart (as a network stream delivers them). */
function slowStream(bytes: Buffer, stallAfter = Infinity): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= stallAfter) return; // never pushes again: a stalled source
      setImmediate(() => {
        this.push(at < bytes.length ? bytes.subarray(at, at + 512) : null);
        at += 512;
      });
    },
  });
}

describe(IngestHeartbeat.name, () => {
  it('heartbeats the streaming read with increasing bytes and events', async () => {
    const env = new MockActivityEnvironment();
    const beats: IngestProgress[] = [];
    env.on('heartbeat', (d: IngestProgress) => beats.push(d));
    const result = await env.run(() =>
      readWithHeartbeat(slowStream(csv), 'events.csv', options, new IngestHeartbeat(0)),
    );
    expect((result as EventLogResult).totalRows).toBe(events.length);
    // Increasing progress: never backwards, and many distinct values (the decoder's final flush adds no bytes).
    expect(new Set(beats.map((b) => b.bytesRead)).size).toBeGreaterThan(10);
    for (let i = 1; i < beats.length; i++) {
      expect(beats[i].bytesRead).toBeGreaterThanOrEqual(beats[i - 1].bytesRead);
      expect(beats[i].rows).toBeGreaterThanOrEqual(beats[i - 1].rows);
    }
    expect(beats.at(-1)).toEqual({ phase: 'reading', bytesRead: csv.length, rows: events.length });
  });

  it('throttles heartbeats to one per interval', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    await env.run(() => readWithHeartbeat(slowStream(csv), 'events.csv', options, new IngestHeartbeat(60_000)));
    expect(beats).toBe(1);
  });

  it('stops a stalled read when the activity is cancelled, destroying the source', async () => {
    const env = new MockActivityEnvironment();
    const stream = slowStream(csv, 4_096);
    let cancelled = false;
    env.on('heartbeat', (d: IngestProgress) => {
      if (d.bytesRead >= 4_096 && !cancelled) {
        cancelled = true;
        setTimeout(() => env.cancel(), 50);
      }
    });
    const read = env.run(() => readWithHeartbeat(stream, 'events.csv', options, new IngestHeartbeat(0)));
    await expect(read).rejects.toBeInstanceOf(CancelledFailure);
    expect(cancelled).toBe(true);
    expect(stream.destroyed).toBe(true);
  });
});
