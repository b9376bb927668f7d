import type { AuditEventInput } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { instrument } from './instrument.ts';
import type { AuditProducer } from './producer.ts';

/** Records what instrument() emits; the producer itself is tested against real Kafka. */
function recorder(): { producer: AuditProducer; emitted: AuditEventInput[] } {
  const emitted: AuditEventInput[] = [];
  const producer = { emit: (event: AuditEventInput) => emitted.push(event) } as unknown as AuditProducer;
  return { producer, emitted };
}

const call = {
  action: 'gitlab.api.post_mr_note',
  actor: { type: 'service' as const, id: 'review-bot' },
  tenant_id: 'acme',
  service: { name: 'review-bot' },
};

describe('instrument', () => {
  it('emits success with the duration and passes the result through', async () => {
    const { producer, emitted } = recorder();
    const result = await instrument(producer, call, async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(emitted[0]).toMatchObject({ outcome: 'success' });
    expect(emitted[0]?.duration_ms).toBeGreaterThanOrEqual(15);
  });

  it('classifies a 401 as denied/auth_failure and rethrows the original error', async () => {
    const { producer, emitted } = recorder();
    const failure = Object.assign(new Error('401 Unauthorized'), { status: 401 });
    await expect(instrument(producer, call, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(emitted[0]).toMatchObject({ outcome: 'denied', error: { class: 'auth_failure', code: '401' } });
  });

  it('classifies a DNS failure as a network error', async () => {
    const { producer, emitted } = recorder();
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND gitlab'), { code: 'ENOTFOUND' });
    await expect(instrument(producer, call, () => Promise.reject(dns))).rejects.toBe(dns);
    expect(emitted[0]).toMatchObject({
      outcome: 'failure',
      error: { class: 'network_error', code: 'ENOTFOUND' },
    });
  });
});
