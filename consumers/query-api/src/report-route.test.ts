import { describe, expect, it } from 'vitest';
import { reportParamsSchema } from './report-route.ts';

describe('GET /v1/reports parameters', () => {
  it('takes the CLI options, JSON by default', () => {
    expect(reportParamsSchema.parse({ framework: 'fedramp', from: '90d' })).toEqual({
      framework: 'fedramp',
      from: '90d',
      format: 'json',
    });
    expect(
      reportParamsSchema.parse({
        framework: 'gdpr',
        from: '2026-01-01',
        to: 'now',
        tenant_id: 'acme',
        format: 'pdf',
      }).format,
    ).toBe('pdf');
  });

  it('refuses an unknown framework, format or parameter, naming it', () => {
    const problem = (input: object) => {
      const parsed = reportParamsSchema.safeParse(input);
      return parsed.success ? undefined : parsed.error.issues[0];
    };
    expect(problem({ framework: 'pci', from: '1d' })?.path).toEqual(['framework']);
    expect(problem({ framework: 'soc2', from: '1d', format: 'docx' })?.path).toEqual(['format']);
    expect(problem({ framework: 'soc2' })?.path).toEqual(['from']);
    expect(problem({ framework: 'soc2', from: '1d', tenant: 'acme' })?.code).toBe('unrecognized_keys');
  });
});
