import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Tracing, WORKFLOW_INTERCEPTORS } from '../../libs/observability/tracing';

/**
 * Replays a committed history of a real run (recorded with `temporal workflow show --output json`
 * from the quick start: ingest → … → approval update → promotion) against today's workflow code.
 * A change to the workflow that breaks running workflows fails here; such a change needs `patched()`.
 */
const recorded = () =>
  JSON.parse(readFileSync(path.join(__dirname, 'histories/pipeline-promoted.json'), 'utf8')) as {
    events: { eventType: string; activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
  };

describe('trainingPipelineWorkflow replay', () => {
  beforeAll(() => Runtime.install({ logger: new DefaultLogger('ERROR') }));
  const workflowsPath = require.resolve('../../workflows');

  it('replays the recorded promoted run deterministically', async () => {
    const history = historyFromJSON(recorded());
    await expect(Worker.runReplayHistory({ workflowsPath }, history, 'recorded-promoted-run')).resolves.toBeUndefined();
  }, 60_000);

  it('replays it unchanged with the OpenTelemetry interceptors in the bundle (they add no commands)', async () => {
    const spans = new InMemorySpanExporter();
    const tracing = Tracing.setup({ exporter: 'off' }, 'replay', undefined, new SimpleSpanProcessor(spans));
    try {
      const options = tracing.workerOptions();
      expect(options.interceptors?.workflowModules).toEqual([WORKFLOW_INTERCEPTORS]);
      await expect(
        Worker.runReplayHistory(
          { workflowsPath, ...options },
          historyFromJSON(recorded()),
          'recorded-promoted-run-traced',
        ),
      ).resolves.toBeUndefined();
      // Sinks are not called while replaying: a replay exports no spans.
      expect(spans.getFinishedSpans()).toEqual([]);
    } finally {
      await tracing.shutdown();
    }
  }, 60_000);

  it('detects a history that today’s code could not have produced', async () => {
    const tampered = recorded();
    const scheduled = tampered.events.find((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled?.activityTaskScheduledEventAttributes?.activityType.name).toBe('ingestDataset');
    scheduled!.activityTaskScheduledEventAttributes!.activityType.name = 'ingestSomethingElse';
    await expect(
      Worker.runReplayHistory({ workflowsPath }, historyFromJSON(tampered), 'tampered'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  }, 60_000);
});
