import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { toCsvRows } from '../../libs/tabular/csv';
import { type SessionRow, generateSessions } from './ecommerce';
import { EVENT_COLUMNS, writeEventsCsvGz, writeEventsParquet } from './events';

/**
 * `node dist/pipelines/datagen/cli.js --users 3000 --seed 42 --out <dir>` writes `events.csv` (the raw
 * behaviour log) and `sessions.csv` (one row per session, for purchase intent). Same seed, same bytes.
 */
export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--events')) return mainEvents(argv);
  const args = parseArgs(argv);
  await mkdir(args.out, { recursive: true });
  const eventsFile = path.join(args.out, 'events.csv');
  const sessionsFile = path.join(args.out, 'sessions.csv');
  const events = createWriteStream(eventsFile);
  const sessions = createWriteStream(sessionsFile);
  let sessionColumns: (keyof SessionRow)[] | undefined;
  let counts = { sessions: 0, events: 0, purchased: 0 };
  await write(events, toCsvRows([EVENT_COLUMNS]));
  for (const { session, events: rows } of generateSessions({ users: args.users, seed: args.seed })) {
    if (!sessionColumns) {
      sessionColumns = Object.keys(session) as (keyof SessionRow)[];
      await write(sessions, toCsvRows([sessionColumns]));
    }
    await write(sessions, toCsvRows([sessionColumns.map((c) => session[c])]));
    await write(events, toCsvRows(rows.map((e) => EVENT_COLUMNS.map((c) => e[c]))));
    counts = {
      sessions: counts.sessions + 1,
      events: counts.events + rows.length,
      purchased: counts.purchased + (session.purchased ? 1 : 0),
    };
  }
  await Promise.all([close(events), close(sessions)]);
  const rate = ((100 * counts.purchased) / counts.sessions).toFixed(1);
  console.log(
    `${args.users} users → ${counts.sessions} sessions (${rate}% with a purchase), ${counts.events} events (seed ${args.seed})`,
  );
  for (const f of [sessionsFile, eventsFile])
    console.log(
      `  ${f}  sha256 ${createHash('sha256')
        .update(await readFile(f))
        .digest('hex')
        .slice(0, 16)}`,
    );
}

/**
 * `node dist/pipelines/datagen/cli.js --events 10000000 --format csv.gz|parquet --seed 42 --out <dir>` writes
 * `<dir>/events-<N>.<format>`: an event log at scale (users one after another, see events.ts), streamed.
 */
async function mainEvents(argv: string[]): Promise<void> {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const events = Number(get('events', ''));
  const seed = Number(get('seed', '42'));
  const format = get('format', 'csv.gz');
  if (!Number.isInteger(events) || events < 1)
    throw new Error(`--events must be a positive integer, found ${get('events', '')}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, found ${get('seed', '')}`);
  if (format !== 'csv.gz' && format !== 'parquet')
    throw new Error(`--format must be csv.gz or parquet, found ${format}`);
  const out = get('out', '.mlops/generated');
  await mkdir(out, { recursive: true });
  const file = path.join(out, `events-${events}.${format}`);
  const started = Date.now();
  const { users } = await (format === 'parquet' ? writeEventsParquet : writeEventsCsvGz)(file, { events, seed });
  const seconds = (Date.now() - started) / 1000;
  console.log(`${events} events of ${users} users (seed ${seed}) → ${file} in ${seconds.toFixed(1)} s`);
}

function parseArgs(argv: string[]): { users: number; seed: number; out: string } {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const users = Number(get('users', '2000'));
  const seed = Number(get('seed', '42'));
  if (!Number.isInteger(users) || users < 1)
    throw new Error(`--users must be a positive integer, found ${get('users', '')}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, found ${get('seed', '')}`);
  return { users, seed, out: get('out', '.mlops/generated') };
}

function write(stream: WriteStream, text: string): Promise<void> {
  return stream.write(text) ? Promise.resolve() : new Promise((r) => stream.once('drain', () => r()));
}

function close(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(2);
  });
}
