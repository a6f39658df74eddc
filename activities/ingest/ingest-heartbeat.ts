import { Context } from '@temporalio/activity';

/** What an ingest heartbeat reports: the phase, bytes taken from the source, data rows (events) so far. */
export interface IngestProgress {
  phase: 'reading' | 'spooling' | 'duckdb' | 'storing';
  bytesRead: number;
  rows: number;
}

/**
 * Heartbeats of a long ingest. {@link progress} is called from the streaming loop and heartbeats at most every
 * `everyMs`; {@link during} heartbeats on a timer while work that reports nothing runs (a DuckDB query, an upload).
 * Outside an activity (benchmarks, direct calls) it does nothing, and {@link signal} is never aborted.
 */
export class IngestHeartbeat {
  private readonly context = currentContext();
  private details: IngestProgress = { phase: 'reading', bytesRead: 0, rows: 0 };
  private last = 0;

  constructor(private readonly everyMs = 5_000) {}

  /** Aborted when the activity is cancelled (the server learns of it through a heartbeat's response). */
  get signal(): AbortSignal | undefined {
    return this.context?.cancellationSignal;
  }

  progress(p: Partial<IngestProgress>): void {
    this.details = { ...this.details, ...p };
    const now = Date.now();
    if (now - this.last >= this.everyMs) this.beat(now);
  }

  /**
   * Heartbeats every `everyMs` until `work` settles, in the given phase. A cancellation that arrives before or
   * during `work` ends the call with the cancellation once `work` settles (work that cannot be interrupted,
   * such as an upload, still finishes; the ingest does not go on to its next step).
   */
  async during<T>(phase: IngestProgress['phase'], work: () => Promise<T>): Promise<T> {
    this.signal?.throwIfAborted();
    this.details = { ...this.details, phase };
    this.beat(Date.now());
    const timer = setInterval(() => this.beat(Date.now()), this.everyMs);
    try {
      const result = await work();
      this.signal?.throwIfAborted();
      return result;
    } finally {
      clearInterval(timer);
    }
  }

  private beat(now: number): void {
    this.last = now;
    this.context?.heartbeat({ ...this.details });
  }
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
