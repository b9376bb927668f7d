import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Hits, redactText } from './redact.ts';
import { entropy, loadRuleset, luhn } from './rules.ts';

const ruleset = loadRuleset();

describe('sanitizer rules (samples from the rule file)', () => {
  for (const rule of ruleset.definitions) {
    it(`${rule.id}: catches every positive sample and leaves every negative one alone`, () => {
      for (const sample of rule.samples.positive) {
        const hits: Hits = new Map();
        const out = redactText(sample, ruleset, hits);
        expect(hits.get(rule.id), `positive sample not caught: ${sample}`).toBeGreaterThan(0);
        expect(out).toContain(`[REDACTED:${rule.id}]`);
      }
      for (const sample of rule.samples.negative) {
        const hits: Hits = new Map();
        expect(redactText(sample, ruleset, hits), `negative sample changed: ${sample}`).toBe(sample);
      }
    });
  }

  it('redacts only the secret part of a key=value pair', () => {
    expect(redactText('user=ada&password=hunter2&next=/home', ruleset, new Map())).toBe(
      'user=ada&password=[REDACTED:key-value-secret]&next=/home',
    );
    expect(redactText('https://deploy:s3cret@gitlab.example.com/x.git', ruleset, new Map())).toBe(
      'https://deploy:[REDACTED:url-userinfo]@gitlab.example.com/x.git',
    );
  });

  it('has working validators', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(entropy('aaaa')).toBe(0);
    expect(entropy('abcd')).toBe(2);
  });

  it('refuses a rule file with a rule lacking samples', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rules-')), 'rules.json');
    const rule = { id: 'a', description: 'd', pattern: 'x', samples: { positive: [], negative: ['y'] } };
    writeFileSync(
      file,
      JSON.stringify({ version: 'x', rules: [rule], fieldNames: [], freeText: { maxLength: 10 } }),
    );
    expect(() => loadRuleset(file)).toThrowError(
      /rules\.0\.samples\.positive: every rule needs a positive sample/,
    );
  });
});
