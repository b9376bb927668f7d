import { describe, expect, it } from 'vitest';
import { AUTH_FAILURE_INTERVAL_ENV, gatewayConfigFromEnv, resolveGatewayConfig } from './config.ts';

const env = { AUDITFLOW_GATEWAY_TOKEN: 'tok_0123456789abcdef' };

describe('gateway configuration', () => {
  it('defaults: system tenant auditflow, window 24 h / 30 d, failed auth audited once a minute', () => {
    const config = resolveGatewayConfig(gatewayConfigFromEnv(env));
    expect(config.selfTenant).toBe('auditflow');
    expect(config.occurredAtWindow).toEqual({ aheadMs: 86_400_000, behindMs: 30 * 86_400_000 });
    expect(config.authFailureIntervalSeconds).toBe(60);
    expect(config.replayCacheSize).toBe(100_000);
  });

  it('reads the window, the system tenant and the interval from the environment', () => {
    const config = resolveGatewayConfig(
      gatewayConfigFromEnv({
        ...env,
        AUDITFLOW_SYSTEM_TENANT: 'ops-audit',
        AUDITFLOW_OCCURRED_AT_MAX_AHEAD: '2h',
        AUDITFLOW_OCCURRED_AT_MAX_BEHIND: '7d',
        [AUTH_FAILURE_INTERVAL_ENV]: '5m',
      }),
    );
    expect(config.selfTenant).toBe('ops-audit');
    expect(config.occurredAtWindow).toEqual({ aheadMs: 7_200_000, behindMs: 7 * 86_400_000 });
    expect(config.authFailureIntervalSeconds).toBe(300);
  });

  it('refuses bad settings at start, naming the variable', () => {
    expect(() => gatewayConfigFromEnv({ ...env, [AUTH_FAILURE_INTERVAL_ENV]: 'often' })).toThrow(
      AUTH_FAILURE_INTERVAL_ENV,
    );
    expect(() => gatewayConfigFromEnv({ ...env, AUDITFLOW_OCCURRED_AT_MAX_BEHIND: '-1d' })).toThrow(
      'AUDITFLOW_OCCURRED_AT_MAX_BEHIND',
    );
    expect(() => gatewayConfigFromEnv({ ...env, AUDITFLOW_SYSTEM_TENANT: 'Not Valid' })).toThrow(
      'AUDITFLOW_SYSTEM_TENANT',
    );
    expect(() =>
      resolveGatewayConfig({ clients: [{ id: 'x', token: 'tok_0123456789abcdef' }], selfTenant: 'A/B' }),
    ).toThrow(/selfTenant/);
  });
});
