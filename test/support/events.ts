import type { AuditEventInput } from '@auditflow/schemas';

/** A realistic ~1 KB event of one of the SPEC's domains. */
export function sampleEvent(i: number, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    action: i % 3 === 0 ? 'git.push' : i % 3 === 1 ? 'gitlab.api.post_mr_note' : 'agent.flow.started',
    category: i % 3 === 0 ? 'git' : 'source_control',
    actor: {
      type: 'user',
      id: `u-${i % 17}`,
      name: `User ${i % 17}`,
      email: `user${i % 17}@example.com`,
      ip: '203.0.113.7',
    },
    target: {
      type: 'merge_request',
      id: String(1000 + i),
      name: 'Fix flaky test',
      attributes: { project_id: 42, mr_iid: i },
    },
    outcome: i % 10 === 0 ? 'failure' : 'success',
    error: i % 10 === 0 ? { class: 'rate_limit', code: '429', message: 'Too many requests' } : null,
    tenant_id: 'acme',
    service: { name: 'review-bot', version: '2.4.1', instance: 'pod-3', environment: 'test' },
    duration_ms: 12.5 + (i % 7),
    details: {
      request: { method: 'POST', path: `/api/v4/projects/42/merge_requests/${i}/notes`, status: 201 },
      note: 'Looks good to me. Consider extracting the retry policy into its own module.'.repeat(3),
      labels: ['review', 'ai', `batch-${Math.floor(i / 100)}`],
    },
    ...overrides,
  };
}

/** About 1 KB once encoded (the benchmarks' target size): a sample event plus longer free text. */
export function benchEvent(i: number): AuditEventInput {
  const base = sampleEvent(i, { correlation_id: `bench-${i % 64}` });
  const reasoning = `step ${i}: `.padEnd(400, 'checked the diff and the tests; ');
  return { ...base, details: { ...(base.details as object), reasoning } };
}
