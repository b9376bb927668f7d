import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createSanitizerContext } from '@auditflow/redaction';
import { type AuditEventJson, EventValidationError, fromJsonForm } from '@auditflow/schemas';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { forbiddenFragments, ORDINARY_VALUES, secretEvents } from '../../../test/support/secret-corpus.ts';
import { createAuditProducer } from './emitter.ts';
import { LocalAuditProducer } from './local.ts';
import { AuditProducer } from './producer.ts';

const redaction = createSanitizerContext({ pseudonymKey: randomBytes(32), redactionKey: randomBytes(32) });
const logger = pino({ level: 'silent' });
const event = {
  tenant_id: 'acme',
  action: 'git.push',
  actor: { type: 'agent' as const, id: 'review-bot' },
  outcome: 'success' as const,
  service: { name: 'review-bot' },
};

/** A producer on the stdout sink writing into `out`, and the lines written so far. */
function onStdout(registry = new Registry()) {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const producer = new LocalAuditProducer(
    { sink: { kind: 'stdout' }, redaction },
    { stdout: out, logger, metricsRegistry: registry },
  );
  return { producer, chunks, registry };
}

const metric = async (registry: Registry, name: string): Promise<number> =>
  ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);

describe('stdout sink', () => {
  it('writes each event as one line of its JSON form, stamped by the SDK, via sdk', async () => {
    const { producer, chunks } = onStdout();
    const receipts = [producer.emit(event), producer.emit({ ...event, action: 'git.fetch' })];
    await producer.close();
    expect(chunks.every((c) => c.endsWith('\n') && c.indexOf('\n') === c.length - 1)).toBe(true);
    const lines = chunks.map((c) => JSON.parse(c) as AuditEventJson);
    expect(lines.map((l) => [l.id, l.producer?.sequence, l.action])).toEqual([
      [receipts[0]?.id, 1, 'git.push'],
      [receipts[1]?.id, 2, 'git.fetch'],
    ]);
    const first = lines[0] as AuditEventJson;
    expect(first.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first.ingest).toMatchObject({ via: 'sdk', client_id: producer.producerId });
    expect(first.producer?.id).toBe(producer.producerId);
    // The line is the contract's JSON form: it reads back into an event.
    expect(fromJsonForm(first).id).toBe(receipts[0]?.id);
  });

  it('redacts every planted secret before the line leaves the process, and keeps ordinary values', async () => {
    const { producer, chunks } = onStdout();
    producer.emitAll(secretEvents());
    await producer.close();
    const text = chunks.join('');
    expect(forbiddenFragments().filter((f) => text.includes(f))).toEqual([]);
    expect(text).toContain('[REDACTED:');
    for (const [name, value] of Object.entries(ORDINARY_VALUES)) expect(text, name).toContain(value);
  });

  it('refuses an invalid event as the Kafka path does: nothing written, counted by rule', async () => {
    const { producer, chunks, registry } = onStdout();
    expect(() => producer.emit({ ...event, action: '' })).toThrow(EventValidationError);
    expect(() => producer.emit({ ...event, tenant_id: 'auditflow' })).toThrow(/reserved/);
    producer.emit(event);
    await producer.close();
    expect(chunks).toHaveLength(1);
    expect(await metric(registry, 'audit_events_invalid_total')).toBe(2);
    expect(await metric(registry, 'audit_log_entries_total')).toBe(1);
    expect(await metric(registry, 'audit_events_delivered_total')).toBe(1);
    expect(await metric(registry, 'audit_spool_depth_events')).toBe(0);
    expect(() => producer.emit(event)).toThrow(/closed/);
  });

  it('counts a write the stream refuses as a sink error, and a durable emit rejects', async () => {
    const registry = new Registry();
    const broken = new PassThrough();
    const failing = new LocalAuditProducer(
      { sink: { kind: 'stdout' }, redaction },
      { stdout: broken, logger, metricsRegistry: registry },
    );
    broken.destroy();
    await expect(failing.emitDurable(event)).rejects.toThrow(/failed to write/);
    expect(failing.connected).toBe(false);
    expect(await metric(registry, 'audit_log_sink_errors_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(registry, 'audit_events_delivered_total')).toBe(0);
    await failing.close();
  });
});

describe('createAuditProducer', () => {
  it('picks the producer by the sink, and checks Kafka settings only for Kafka', async () => {
    const local = createAuditProducer(
      { sink: { kind: 'stdout' }, redaction },
      { stdout: new PassThrough(), logger },
    );
    expect(local).toBeInstanceOf(LocalAuditProducer);
    await local.close();
    expect(() => createAuditProducer({ sink: { kind: 'kafka' } }, { logger })).toThrow(/brokers/);
    expect(() => createAuditProducer({ sink: { kind: 'file', path: '' }, redaction }, { logger })).toThrow(
      /sink\.path/,
    );
    expect(AuditProducer).toBeDefined();
  });

  it('without a redaction context reads the sanitizer settings, naming the missing key', () => {
    const saved = { ...process.env };
    try {
      delete process.env.AUDITFLOW_PSEUDONYM_KEY;
      delete process.env.AUDITFLOW_PSEUDONYM_KEY_FILE;
      expect(() =>
        createAuditProducer({ sink: { kind: 'stdout' } }, { stdout: new PassThrough(), logger }),
      ).toThrow(/AUDITFLOW_PSEUDONYM_KEY/);
    } finally {
      process.env = saved;
    }
  });
});
