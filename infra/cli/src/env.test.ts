import { resolvePaths, stackEnv } from '@auditflow/stack';
import { describe, expect, it } from 'vitest';
import { commandEnv } from './env.ts';

describe('commandEnv', () => {
  const local = stackEnv(resolvePaths());

  it("fills what is unset from the local stack, its S3 identities included, for the stack's own store", () => {
    const env = commandEnv({ KAFKA_BROKERS: '10.0.0.1:9092' });
    expect(env.KAFKA_BROKERS).toBe('10.0.0.1:9092');
    expect(env.S3_ENDPOINT).toBe(local.S3_ENDPOINT);
    expect(env.AUDITFLOW_S3_CLI_ACCESS_KEY_ID).toBe(local.AUDITFLOW_S3_CLI_ACCESS_KEY_ID);
  });

  it("never lends the local stack's S3 credentials to another store", () => {
    const env = commandEnv({
      S3_ENDPOINT: 'http://127.0.0.1:29000',
      AWS_ACCESS_KEY_ID: 'other-root',
      AWS_SECRET_ACCESS_KEY: 'other-secret',
    });
    expect(env.AWS_ACCESS_KEY_ID).toBe('other-root');
    expect(env.AUDITFLOW_S3_CLI_ACCESS_KEY_ID).toBeUndefined();
    expect(env.AUDITFLOW_S3_SWEEPER_SECRET_ACCESS_KEY).toBeUndefined();
    // Endpoints of other servers still fall back.
    expect(env.KAFKA_BROKERS).toBe(local.KAFKA_BROKERS);
  });
});
