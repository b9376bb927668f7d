import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopicsReady } from '@auditflow/kafka';
import { type AuditEvent, auditEventType } from '@auditflow/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { consumeAll } from '../../support/consume.ts';
import { endpoints, kafkaClient, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';

const PORT = 17071;
const TOKEN = 'tok_gateway_crash_0123456789';
const BATCH = 20;
/** About six batches of ~1 KB events: the spool fills while the broker is unreachable. */
const SPOOL_BYTES = 128 * 1024;

function startGateway(spool: string, brokers: string, topic: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=auditflow-source',
      'test/support/gateway-child.ts',
      spool,
      brokers,
      endpoints().SCHEMA_REGISTRY_URL,
      topic,
      String(SPOOL_BYTES),
      String(PORT),
      TOKEN,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway child exited (${code})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) {
        child.removeAllListeners('exit');
        resolve(child);
      }
    });
  });
}

async function kill9(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Posts one batch; answers its status and, for a 202, the ids. */
async function postBatch(tag: string, batch: number): Promise<{ status: number; ids: string[] }> {
  const events = Array.from({ length: BATCH }, (_, i) =>
    sampleEvent(batch * BATCH + i, { correlation_id: `${tag}-${batch}` }),
  );
  const res = await fetch(`http://127.0.0.1:${PORT}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(events),
  });
  const body = (await res.json()) as { ids?: string[] };
  return { status: res.status, ids: body.ids ?? [] };
}

describe('gateway batches are all or nothing in the spool (P2, P5)', () => {
  let gateway: ChildProcess | undefined;
  afterAll(() => kill9(gateway));

  it('a batch refused with 503 leaves nothing spooled: after kill -9 and a retry, each event is there once', async () => {
    const topic = unique('it.gateway-crash');
    const admin = kafkaClient('gateway-crash-admin').admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: 2 }]);
    await admin.disconnect();
    const spool = mkdtempSync(join(tmpdir(), 'gateway-crash-spool-'));
    const tag = unique('gw-crash');

    // Kafka unreachable (nothing listens on port 1): every accepted batch waits in the spool.
    gateway = await startGateway(spool, '127.0.0.1:1', topic);
    const accepted = new Map<number, string[]>();
    const refused: number[] = [];
    for (let batch = 0; batch < 40 && refused.length < 2; batch++) {
      const { status, ids } = await postBatch(tag, batch);
      expect([202, 503]).toContain(status);
      if (status === 202) accepted.set(batch, ids);
      else refused.push(batch);
    }
    expect(refused).toHaveLength(2);
    expect(accepted.size).toBeGreaterThan(1);
    // The worst moment: right after the refusal, with the spool full and nothing delivered.
    await kill9(gateway);

    gateway = await startGateway(spool, endpoints().KAFKA_BROKERS, topic);
    // The client retries what was refused; with the spool draining there is room again (up to
    // 90 s: one of the first nine runs, on a machine at load 14, was still refused after 30 s).
    for (let attempt = 0; refused.length > 0 && attempt < 180; attempt++) {
      const batch = refused[0] as number;
      const { status, ids } = await postBatch(tag, batch);
      if (status === 202) {
        accepted.set(batch, ids);
        refused.shift();
      } else await sleep(500);
    }
    expect(refused).toEqual([]);

    const expected = new Set([...accepted.values()].flat());
    let mine: AuditEvent[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      mine = (await consumeAll(topic))
        .map((m) => auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent)
        .filter((e) => e.correlation_id?.startsWith(`${tag}-`));
      if (mine.filter((e) => expected.has(e.id)).length >= expected.size) break;
      await sleep(1000);
    }
    // Every acknowledged event once, and nothing else: a refused attempt left no event behind.
    expect(mine.map((e) => e.id).sort()).toEqual([...expected].sort());
    for (const [batch, ids] of accepted) {
      expect(mine.filter((e) => e.correlation_id === `${tag}-${batch}`).map((e) => e.id)).toEqual(ids);
    }
  }, 240_000);
});
