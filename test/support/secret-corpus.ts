import type { AuditEventInput } from '@auditflow/schemas';

/**
 * Realistic events with secrets planted in every place SPEC S1 names, and the ordinary audit
 * values that must survive untouched. Shared by the sanitizer's unit tests and the pipeline's
 * integration tests.
 */
export const PLANTED_SECRETS = {
  pem: 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0',
  aws: 'AKIAZ7QX4FJ2LMNOPQRS',
  awsSecret: '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',
  github: 'ghp_R8xLq2Vn7Tp4Ws9Kd1Hf6Gj3Mb5Zc0YeXu8A',
  gitlab: 'glpat-Zq9Xr7Wv5Tu3Sr1Pq2No',
  slack: 'xoxb-918273645012-5647382910123-QwErTyUiOpAsDfGhJkLzXcVb',
  stripe: 'sk_live_51HfQ2eKx9YvW3mN7pL4tR8s',
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJyb2xlIjoiYWRtaW4ifQ.Tz3b8hX0qLk2mN5pR7sV9wY1aC4eG6iK8oQ0uS2xZ4',
  bearer: 'ya29.a0AfH6SMBx7Kp2Lq9Rt4Vw8Yz1Bc3De5Fg',
  basic: 'ZGVwbG95OnMzY3JldC1wYXNz',
  password: 'Tr0ub4dor&3xyz',
  queryToken: 'q7Xv2Lp9Rm4Tn8Ws',
  urlPassword: 'Pa55w0rdInUrl',
  cookie: 'sessionid=9f8e7d6c5b4a39281706f5e4d3c2b1a0; csrftoken=AbCdEf123456',
  apiKeyHeader: 'key-5b7e2f91c3d84a6e',
  card: '4242 4242 4242 4242',
  cardNumber: 5555555555554444,
  entropy: 'Zx8Qm2Lr7Tn4Vb9Kc1Hd6Fs3Gj5Wp0YeXu8AqRtN',
  fieldPassword: 'correct-horse-battery',
  llmKey: 'sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78',
} as const;

export const ORDINARY_VALUES = {
  commitSha: '3f786850e387550fdab836ed7e6dc881de23001b',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  uuid: '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b',
  issue: 'PROJ-4521',
  mrIid: '1287',
  path: 'src/services/payment/RetryPolicy.ts',
  branch: 'feature/PROJ-4521-retry-policy',
  url: 'https://gitlab.example.com/acme/infra/-/merge_requests/1287',
  note: 'Rebased onto main and re-ran the pipeline; all 214 tests pass.',
} as const;

const s = PLANTED_SECRETS;
const o = ORDINARY_VALUES;

export function secretEvents(tenant = 'acme'): AuditEventInput[] {
  const base = {
    tenant_id: tenant,
    service: { name: 'review-bot', version: '2.4.1' },
    trace_id: o.traceId,
    span_id: o.spanId,
    correlation_id: `corr-${o.uuid}`,
  };
  return [
    {
      ...base,
      action: 'gitlab.api.post_mr_note',
      actor: { type: 'agent', id: 'review-bot', email: 'bot@example.com', ip: '203.0.113.7' },
      target: {
        type: 'merge_request',
        id: o.mrIid,
        name: o.branch,
        attributes: { project_id: '42', private_token: s.gitlab },
      },
      outcome: 'success',
      details: {
        commit: o.commitSha,
        file: o.path,
        url: o.url,
        note: o.note,
        request: {
          headers: {
            Authorization: `Bearer ${s.bearer}`,
            Cookie: s.cookie,
            'X-API-Key': s.apiKeyHeader,
            Accept: 'application/json',
          },
          query: `per_page=20&private_token=${s.queryToken}&page=2`,
        },
        env_dump: `AWS_ACCESS_KEY_ID=${s.aws}\naws_secret_access_key = ${s.awsSecret}\nGITHUB_TOKEN=${s.github}`,
      },
    },
    {
      ...base,
      action: 'git.push',
      actor: {
        type: 'user',
        id: 'ada',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        ip: '2001:db8:85a3::8a2e:370:7334',
      },
      target: { type: 'repository', id: 'acme/infra', name: o.branch },
      outcome: 'failure',
      error: {
        class: 'auth_failure',
        code: '401',
        message: `remote: HTTP Basic: Access denied for https://deploy:${s.urlPassword}@gitlab.example.com/acme/infra.git (Basic ${s.basic})`,
      },
      details: {
        remote: `https://ci:${s.urlPassword}@gitlab.example.com/acme/infra.git`,
        branch: o.branch,
        sha: o.commitSha,
        key: `-----BEGIN RSA PRIVATE KEY-----\n${s.pem}\n-----END RSA PRIVATE KEY-----`,
      },
    },
    {
      ...base,
      action: 'agent.flow.failed',
      actor: { type: 'agent', id: 'flow-runner' },
      outcome: 'failure',
      error: { class: 'internal', code: 'E_TOOL', message: `tool call failed with token ${s.slack}` },
      details: {
        // JSON that arrives as a string, with secrets inside
        tool_output: JSON.stringify({
          stripe: { key: s.stripe },
          jwt: s.jwt,
          payment: { card: s.card, card_number: s.cardNumber },
        }),
        reasoning: `I will use the key ${s.llmKey} and the session ${s.entropy} to open ${o.issue}.`,
        settings: {
          password: s.fieldPassword,
          nested: [{ client_secret: s.fieldPassword }, { api_key: s.apiKeyHeader }],
        },
        trace: o.traceId,
        request_id: o.uuid,
      },
    },
    {
      ...base,
      action: 'security.config.updated',
      actor: { type: 'admin_action', id: 'ops-7' },
      outcome: 'success',
      changes: [
        { field: 'webhook_url', before: `https://hooks.example.com/x?token=${s.queryToken}`, after: o.url },
        { field: 'password', before: s.fieldPassword, after: s.password },
        {
          field: 'settings',
          before: { mode: 'strict' },
          after: { mode: 'strict', db: `postgres://app:${s.urlPassword}@db:5432/audit` },
        },
      ],
      details: { message: `login with password=${s.password} from ${o.branch}` },
    },
  ];
}

/** Every planted value and its longer fragments: none may survive sanitizing. */
export function forbiddenFragments(): string[] {
  const out = new Set<string>();
  for (const secret of Object.values(PLANTED_SECRETS)) {
    const text = String(secret);
    for (const part of text.split(/[\s;=]/)) if (part.length >= 10) out.add(part);
    // Any 12-character window of a long secret.
    for (let i = 0; i + 12 <= text.length; i += 4) {
      const window = text.slice(i, i + 12);
      if (!/^[\s\d-]+$/.test(window) || window.replace(/\D/g, '').length >= 12) out.add(window);
    }
  }
  return [...out];
}
