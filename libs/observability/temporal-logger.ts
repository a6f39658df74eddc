import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Level } from 'pino';
import type { Logger } from './logger';

const LEVELS: Record<LogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * Temporal's logger interface over pino, for `Runtime.install({ logger })`. The SDK passes what it knows as
 * metadata (workflow logs: `workflowId`, `runId`, `workflowType`, `taskQueue`, `namespace`; activity logs also
 * `activityId`, `activityType`, `attempt`; `sdkComponent` always): each becomes a top-level JSON field, so a
 * run's lines are found with `jq 'select(.workflowId == "…")'`. Symbol keys (the SDK's nanosecond timestamp)
 * are dropped; pino stamps its own time.
 */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly pino: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const pinoLevel = LEVELS[level] ?? 'info';
    if (!this.pino.isLevelEnabled(pinoLevel)) return;
    this.pino[pinoLevel](meta ? plain(meta) : {}, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * Copies string keys only. `level`, `msg`, `time` and `service` from the SDK would clash with pino's own (kept
 * as `sdk_*`); activity lines name the run `workflowRunId` where workflow lines say `runId`: both become `runId`,
 * so one filter finds a run's lines. `taskToken` is left out: it is long, and it can complete the activity.
 */
function plain(meta: LogMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(meta)) {
    if (key === 'taskToken') continue;
    if (key === 'level' || key === 'msg' || key === 'time' || key === 'service') out[`sdk_${key}`] = meta[key];
    else if (key === 'workflowRunId') out.runId ??= meta[key];
    else out[key] = meta[key];
  }
  return out;
}
