import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSanitizerContext } from '@auditflow/redaction';
import type { AuditEventJson } from '@auditflow/schemas';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { forbiddenFragments, secretEvents } from '../../../test/support/secret-corpus.ts';
import { LocalAuditProducer } from './local.ts';
import { rotatedName } from './sinks.ts';

const redaction = createSanitizerContext({ pseudonymKey: randomBytes(32), redactionKey: randomBytes(32) });
const logger = pino({ level: 'silent' });
const event = (n: number) => ({
  tenant_id: 'acme',
  action: 'deploy.run',
  actor: { type: 'service' as const, id: 'ci' },
  outcome: 'success' as const,
  service: { name: 'ci' },
  details: { n, note: 'x'.repeat(100) },
});

type Config = { maxBytes?: number; maxAgeMs?: number; keep?: number };

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'auditflow-sink-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function fileProducer(config: Config = {}) {
  const dir = tempDir();
  const path = join(dir, 'audit.jsonl');
  const registry = new Registry();
  const producer = new LocalAuditProducer(
    { sink: { kind: 'file', path, ...config }, redaction },
    { logger, metricsRegistry: registry },
  );
  return { dir, path, producer, registry };
}

/** The JSONL files in write order (rotated names sort by time, the current file comes last). */
function jsonlFiles(dir: string): string[] {
  const rotated = readdirSync(dir)
    .filter((f) => /^audit\.\d{8}T\d{9}Z\.\d{6}\.jsonl$/.test(f))
    .sort();
  return [...rotated, 'audit.jsonl'].filter((f) => existsSync(join(dir, f)));
}

/** Every line of every file, each parsed (a split line would not parse). */
function readLines(dir: string): { file: string; events: AuditEventJson[] }[] {
  return jsonlFiles(dir).map((file) => ({
    file,
    events: readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditEventJson),
  }));
}

const sequences = (files: { events: AuditEventJson[] }[]): number[] =>
  files.flatMap((f) => f.events.map((e) => Number(e.producer?.sequence)));

describe('file sink', () => {
  it('names rotated files so they sort in write order', () => {
    expect(rotatedName('audit.jsonl', new Date(Date.UTC(2026, 11, 6, 7, 5, 9, 42)), 2)).toBe(
      'audit.20261206T070509042Z.000002.jsonl',
    );
  });

  it('rotates by size without splitting an event, and loses none', async () => {
    const { dir, producer, registry } = fileProducer({ maxBytes: 4096, keep: 100 });
    for (let i = 0; i < 60; i++) producer.emit(event(i));
    await producer.close();
    const files = readLines(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(sequences(files)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const { file } of files.slice(0, -1)) {
      // A rotated file reached the size with its last line, and not before it.
      const text = readFileSync(join(dir, file), 'utf8');
      const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
      expect(text.length, file).toBeGreaterThanOrEqual(4096);
      expect(text.length - lastLine.length, file).toBeLessThan(4096);
    }
    const delivered = await registry.getSingleMetric('audit_events_delivered_total')?.get();
    expect(delivered?.values[0]?.value).toBe(60);
  });

  it('keeps only the newest rotated files', async () => {
    const { dir, producer } = fileProducer({ maxBytes: 2048, keep: 2 });
    for (let i = 0; i < 80; i++) producer.emit(event(i));
    await producer.close();
    const files = readLines(dir);
    expect(files).toHaveLength(3);
    const kept = sequences(files);
    // The newest events, contiguous, ending with the last one.
    expect(kept.at(-1)).toBe(80);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 80 - kept.length + 1 + i));
  });

  it('rotates at clock boundaries of the maximum age', { timeout: 30_000 }, async () => {
    const { dir, producer } = fileProducer({ maxAgeMs: 1000 });
    producer.emit(event(1));
    await producer.flush();
    // Wait (polling, the machine may be loaded) until the first event's file was rotated: a
    // rotated file with content (an empty one from a boundary before the write is deleted).
    const rotatedWithEvent = (): boolean =>
      jsonlFiles(dir)
        .slice(0, -1)
        .some((f) => {
          try {
            return statSync(join(dir, f)).size > 0;
          } catch {
            return false;
          }
        });
    for (let waited = 0; !rotatedWithEvent() && waited < 20_000; waited += 100) await sleep(100);
    producer.emit(event(2));
    await producer.close();
    const files = readLines(dir);
    // Event 2 is in the current file, or in a later rotated one if a boundary passed before close.
    expect(files.filter((f) => f.events.length > 0).map((f) => sequences([f]))).toEqual([[1], [2]]);
    // Periods without events leave no empty rotated files behind.
    expect(files.slice(0, -1).filter((f) => f.events.length === 0)).toEqual([]);
  });

  it('writes no planted secret to the file', async () => {
    const { dir, path, producer } = fileProducer();
    await producer.emitAllDurable(secretEvents());
    await producer.close();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(secretEvents().length);
    expect(forbiddenFragments().filter((f) => text.includes(f))).toEqual([]);
    expect(readLines(dir)).toHaveLength(1);
  });

  it('stops a program whose file cannot be written at start, naming the file', () => {
    const dir = tempDir();
    expect(
      () =>
        new LocalAuditProducer(
          // A directory where the file should be.
          { sink: { kind: 'file', path: dir }, redaction },
          { logger },
        ),
    ).toThrow(new RegExp(`sink file ${dir} cannot be written`));
  });
});
