import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CORRELATION_ENV,
  correlationEnv,
  currentCorrelation,
  formatTraceparent,
  parseTraceparent,
  TRACEPARENT_ENV,
  withCorrelation,
} from './correlation.ts';

describe('correlation', () => {
  afterEach(() => {
    delete process.env[CORRELATION_ENV];
    delete process.env[TRACEPARENT_ENV];
  });

  it('follows async work and stays apart between concurrent requests', async () => {
    const seen = await Promise.all(
      ['req-a', 'req-b'].map((id) =>
        withCorrelation(id, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          await Promise.resolve();
          return currentCorrelation()?.correlationId;
        }),
      ),
    );
    expect(seen).toEqual(['req-a', 'req-b']);
    expect(currentCorrelation()).toBeUndefined();
  });

  it('passes the id and trace context to a child process through the environment', () => {
    const env = withCorrelation(
      { correlationId: 'job-1', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) },
      () => correlationEnv(),
    );
    expect(env).toEqual({
      [CORRELATION_ENV]: 'job-1',
      [TRACEPARENT_ENV]: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
    });
    // In the child:
    Object.assign(process.env, env);
    expect(currentCorrelation()).toEqual({
      correlationId: 'job-1',
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
    });
  });

  it('parses only well-formed W3C traceparent values', () => {
    expect(parseTraceparent(formatTraceparent('c'.repeat(32), 'd'.repeat(16)))).toEqual({
      traceId: 'c'.repeat(32),
      spanId: 'd'.repeat(16),
    });
    expect(parseTraceparent('00-xyz-abc-01')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });

  it('joins an active OpenTelemetry span when the application has one', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const span = trace.wrapSpanContext({ traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), traceFlags: 1 });
      const inside = context.with(trace.setSpan(context.active(), span), () =>
        withCorrelation('otel-req', () => currentCorrelation()),
      );
      expect(inside).toEqual({ correlationId: 'otel-req', traceId: 'e'.repeat(32), spanId: 'f'.repeat(16) });
    } finally {
      context.disable();
    }
  });
});
