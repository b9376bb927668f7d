import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * Correlation (P3): an id created at ingress (webhook, poll cycle, CLI) follows the work through
 * async code (AsyncLocalStorage), into child processes (environment variables) and into Kafka
 * headers (W3C traceparent). An active OpenTelemetry span, when the app uses one, wins for the
 * trace and span ids.
 */

export interface CorrelationContext {
  readonly correlationId: string;
  readonly traceId?: string;
  readonly spanId?: string;
}

export const CORRELATION_ENV = 'AUDITFLOW_CORRELATION_ID';
export const TRACEPARENT_ENV = 'TRACEPARENT';

const storage = new AsyncLocalStorage<CorrelationContext>();
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Runs `fn` with `id` as the current correlation id (and optional trace context). */
export function withCorrelation<T>(id: string | CorrelationContext, fn: () => T): T {
  const context = typeof id === 'string' ? { correlationId: id } : id;
  return storage.run(context, fn);
}

/** A fresh correlation id: what ingress code calls when a request arrives without one. */
export function newCorrelationId(): string {
  return randomBytes(16).toString('hex');
}

/** The ids in effect here: the async context, else what the parent process passed down. */
export function currentCorrelation(): CorrelationContext | undefined {
  const context = storage.getStore();
  const otel = activeOtelSpan();
  if (context) return otel ? { ...context, ...otel } : context;
  const fromEnv = process.env[CORRELATION_ENV];
  const parent = parseTraceparent(process.env[TRACEPARENT_ENV]);
  if (!fromEnv && !parent && !otel) return undefined;
  return { correlationId: fromEnv ?? parent?.traceId ?? otel?.traceId ?? '', ...parent, ...otel };
}

/** Environment variables that carry the current correlation into a child process or job. */
export function correlationEnv(context = currentCorrelation()): Record<string, string> {
  if (!context) return {};
  const env: Record<string, string> = { [CORRELATION_ENV]: context.correlationId };
  if (context.traceId && context.spanId)
    env[TRACEPARENT_ENV] = formatTraceparent(context.traceId, context.spanId);
  return env;
}

export function formatTraceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = value ? TRACEPARENT.exec(value) : null;
  return match?.[1] && match[2] ? { traceId: match[1], spanId: match[2] } : undefined;
}

interface OtelApi {
  trace: { getActiveSpan(): { spanContext(): { traceId: string; spanId: string } } | undefined };
}

let otel: OtelApi | null | undefined;

/** @opentelemetry/api is optional: used when the application has it installed. */
function activeOtelSpan(): { traceId: string; spanId: string } | undefined {
  if (otel === undefined) {
    try {
      otel = createRequire(`${process.cwd()}/`)('@opentelemetry/api') as OtelApi;
    } catch {
      try {
        otel = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
      } catch {
        otel = null;
      }
    }
  }
  const span = otel?.trace.getActiveSpan()?.spanContext();
  if (!span || /^0+$/.test(span.traceId)) return undefined;
  return { traceId: span.traceId, spanId: span.spanId };
}
