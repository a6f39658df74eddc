import { type Tracer, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { Logger } from './logger';

/** How spans leave the process: `off` costs nothing (no provider, no interceptors). */
export interface TracingConfig {
  exporter: 'off' | 'otlp' | 'console';
  /** Base URL of an OTLP/HTTP collector (`/v1/traces` is appended), for `otlp`. */
  otlpEndpoint?: string;
}

/**
 * OpenTelemetry for one process, through Temporal's interceptors: client interceptors put the caller's span
 * context into the headers of StartWorkflow / SignalWorkflow / update calls; the workflow interceptors (loaded
 * into the workflow bundle) open `RunWorkflow:<type>` and `StartActivity:<type>` spans and export them through a
 * sink (never during replay, and without adding commands); the activity interceptor opens `RunActivity:<type>`.
 * One trace therefore runs from an HTTP request of the control plane to the activities of the run it started.
 */
export class Tracing {
  /** Spans go nowhere; interceptors are not installed. */
  static readonly off = new Tracing();

  private constructor(
    private readonly provider?: BasicTracerProvider,
    private readonly processor?: SpanProcessor,
    private readonly resource?: Resource,
  ) {}

  /**
   * Builds the tracer provider for `service` and registers it globally (with an AsyncLocalStorage context manager
   * and W3C `traceparent` propagation). `processor` replaces the configured exporter (tests pass an in-memory one).
   */
  static setup(config: TracingConfig, service: string, logger?: Logger, processor?: SpanProcessor): Tracing {
    const chosen = processor ?? exporterProcessor(config, logger);
    if (!chosen) return Tracing.off;
    const resource = new Resource({ 'service.name': service });
    const provider = new BasicTracerProvider({ resource });
    provider.addSpanProcessor(chosen);
    provider.register({
      contextManager: new AsyncLocalStorageContextManager().enable(),
      propagator: new W3CTraceContextPropagator(),
    });
    return new Tracing(provider, chosen, resource);
  }

  get enabled(): boolean {
    return this.provider !== undefined;
  }

  /** The tracer of this process (a no-op tracer when off). */
  get tracer(): Tracer {
    return (this.provider ?? trace).getTracer('mlops');
  }

  /** `interceptors` of a Temporal `Client`: traces starts, signals, updates, queries; `undefined` when off. */
  clientInterceptors(): ClientInterceptors | undefined {
    if (!this.provider) return undefined;
    return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: this.tracer })] };
  }

  /**
   * Worker options that trace workflows and activities: the workflow interceptor module for the bundle, the
   * activity interceptors, and the `exporter` sink that takes workflow spans out of the sandbox. `{}` when off.
   */
  workerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
    if (!this.provider || !this.processor || !this.resource) return {};
    const tracer = this.tracer;
    return {
      interceptors: {
        workflowModules: [WORKFLOW_INTERCEPTORS],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(this.processor, this.resource) },
    };
  }

  /** Exports spans still buffered (call before exit). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Flushes, stops the provider and unregisters the globals (a later `setup` in the same process may register). */
  async shutdown(): Promise<void> {
    if (!this.provider) return;
    await this.provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

/**
 * The interceptors module of `@temporalio/interceptors-opentelemetry` that the workflow bundler loads: inbound
 * (`RunWorkflow`, signal/update/query handlers), outbound (`StartActivity`, child workflows) and internals.
 */
export const WORKFLOW_INTERCEPTORS =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

function exporterProcessor(config: TracingConfig, logger?: Logger): SpanProcessor | undefined {
  if (config.exporter === 'otlp' && config.otlpEndpoint) {
    const url = `${config.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    return new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  }
  if (config.exporter === 'console' && logger) return new SimpleSpanProcessor(new LogSpanExporter(logger));
  return undefined;
}

/** `MLOPS_TRACING=console`: each finished span becomes one JSON log line (`msg: "span"`), for a look without a collector. */
export class LogSpanExporter implements SpanExporter {
  constructor(private readonly logger: Logger) {}

  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    for (const s of spans) {
      const ctx = s.spanContext();
      this.logger.info(
        {
          span: s.name,
          trace_id: ctx.traceId,
          span_id: ctx.spanId,
          parent_span_id: s.parentSpanId,
          durationMs: Math.round((s.duration[0] * 1e3 + s.duration[1] / 1e6) * 10) / 10,
          status: s.status.code,
          attributes: s.attributes,
        },
        'span',
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}
