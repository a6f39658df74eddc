import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { AppConfig } from '../../libs/config/config';

/** A real worker process (the built `dist/apps/worker/main.js`) on a test's buckets and task queues. */
export class WorkerProcess {
  private child?: ChildProcess;
  output = '';

  constructor(private readonly config: AppConfig) {}

  async start(): Promise<void> {
    const main = path.resolve(__dirname, '../../dist/apps/worker/main.js');
    this.child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        MLOPS_DATA_BUCKET: this.config.buckets.data,
        MLOPS_REGISTRY_BUCKET: this.config.buckets.registry,
        MLOPS_TASK_QUEUE_CPU: this.config.taskQueues.cpu,
        MLOPS_TASK_QUEUE_GPU: this.config.taskQueues.gpu,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer) => (this.output += chunk.toString());
    this.child.stdout?.on('data', append);
    this.child.stderr?.on('data', append);
    const deadline = Date.now() + 60_000;
    while (!this.output.includes('worker ready')) {
      if (!this.running) throw new Error(`worker exited during start-up:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`worker not ready after 60 s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no shutdown hooks, no last heartbeat; exactly what a crashed machine looks like. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((r) => this.child?.once('exit', r));
    this.child?.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((r) => this.child?.once('exit', r));
    this.child?.kill('SIGTERM');
    // Graceful shutdown waits for running activities; do not let a test hang on it.
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
