import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleGenerator } from './adversarial.ts';
import { findCards, isCardNumber } from './cards.ts';
import { applyRule, type Hits, type Marker, redactText } from './redact.ts';
import { type CompiledRule, entropy, loadRuleset, luhn } from './rules.ts';

const ruleset = loadRuleset();
/** A marker that carries the replaced text's length, to check what exactly was replaced. */
const mark: Marker = (rule, secret) => `[REDACTED:${rule}:${secret.length}]`;
const redact = (text: string, hits: Hits = new Map()): string => redactText(text, ruleset, hits, mark);

describe('sanitizer rules (samples from our rule file)', () => {
  for (const rule of ruleset.definitions) {
    it(`${rule.id}: catches every positive sample and leaves every negative one alone`, () => {
      for (const sample of rule.samples?.positive ?? []) {
        const hits: Hits = new Map();
        const out = redact(sample, hits);
        expect(hits.get(rule.id), `positive sample not caught: ${sample}`).toBeGreaterThan(0);
        expect(out).toContain(`[REDACTED:${rule.id}:`);
      }
      for (const sample of rule.samples?.negative ?? []) {
        expect(redact(sample), `negative sample changed: ${sample}`).toBe(sample);
      }
    });
  }

  it('redacts only the secret part, and hands the marker the exact text it replaces', () => {
    const seen: string[] = [];
    const out = redactText(
      'https://deploy:s3cret@gitlab.example.com/x.git',
      ruleset,
      new Map(),
      (rule, s) => {
        seen.push(s);
        return `[REDACTED:${rule}]`;
      },
    );
    expect(out).toBe('https://deploy:[REDACTED:url-userinfo]@gitlab.example.com/x.git');
    expect(seen).toEqual(['s3cret']);
    expect(redact('card 4111 1111 1111 1111 12/25')).toBe('card [REDACTED:card-number:19] 12/25');
  });

  it('leaves a value an earlier rule replaced as it is', () => {
    const text = 'Authorization: Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a';
    const hits: Hits = new Map();
    const out = redact(text, hits);
    expect(out).toBe('Authorization: Bearer [REDACTED:github-token:40]');
    expect([...hits.keys()]).toEqual(['github-token']);
    expect(redact(out)).toBe(out);
  });

  it('has working validators', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(entropy('aaaa')).toBe(0);
    expect(entropy('abcd')).toBe(2);
  });

  it('refuses a rule file with a rule lacking samples, naming the rule', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rules-')), 'rules.json');
    const rule = { id: 'a', description: 'd', pattern: 'x', samples: { positive: [], negative: ['y'] } };
    writeFileSync(file, JSON.stringify({ version: 'x', rules: [rule], freeText: { maxLength: 10 } }));
    expect(() => loadRuleset(file)).toThrowError(
      /rules\.0\.samples\.positive \(rule 'a'\): every rule needs a positive sample/,
    );
  });

  it('refuses a rule id outside the marker contract and a pattern that does not compile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const samples = { positive: ['x'], negative: ['y'] };
    const write = (rule: object): string => {
      const file = join(dir, `${Math.random()}.json`);
      writeFileSync(file, JSON.stringify({ version: 'x', rules: [rule], freeText: { maxLength: 9 } }));
      return file;
    };
    expect(() => loadRuleset(write({ id: 'Bad_Id', description: 'd', pattern: 'x', samples }))).toThrowError(
      /rule 'Bad_Id'/,
    );
    expect(() => loadRuleset(write({ id: 'broken', description: 'd', pattern: '(', samples }))).toThrowError(
      /sanitizer rule 'broken' has an invalid pattern/,
    );
  });
});

describe('payment cards', () => {
  it('finds cards of every major issuer, grouped or not, between other digits', () => {
    for (const card of [
      '4111 1111 1111 1111',
      '4222222222222', // Visa 13
      '5555-5555-5555-4444',
      '2223 0031 2200 3222', // Mastercard 2-series
      '3714 496353 98431', // Amex 4-6-5
      '6011 0009 9013 9424', // Discover
      '3056 930902 5904', // Diners 14
      '3566 0020 2036 0505', // JCB
      '6200 0000 0000 0005', // UnionPay
      '6759 6498 2643 8453', // Maestro
    ]) {
      const text = `paid 12 x ${card} 12/25 ref 7`;
      const spans = findCards(text);
      expect(
        spans.map((s) => text.slice(s.start, s.end)),
        card,
      ).toEqual([card]);
    }
  });

  it('keeps numbers that fail the issuer, length or Luhn checks, and numbers glued to others', () => {
    for (const text of [
      'order 1795512429745',
      '2026-11-24 12:00:00',
      '+44 20 7946 0958',
      '4111111111111112',
      '41111111111111110', // 17 digits, Visa issues 13, 16, 19
      'x4111111111111111',
      '4111111111111111z',
      '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b',
      '12345678901234567890123',
    ]) {
      expect(findCards(text), text).toEqual([]);
    }
    expect(isCardNumber('378282246310005')).toBe(true);
    expect(isCardNumber('37828224631000')).toBe(false);
  });
});

/** A sample for a vendored rule, generated from its own pattern (with a keyword if needed). */
function fires(rule: CompiledRule, index: number, pattern: RegExp): boolean {
  // Seeded: the same samples on every run.
  const generator = sampleGenerator(pattern, index + 1);
  for (let attempt = 0; attempt < 300; attempt++) {
    let sample = ` ${generator.gen()} `;
    // A few upstream rules' keywords are not spelled by their pattern (gitleaks needs them
    // anywhere in the text): put the first one in front.
    if (!ruleset.prefilter.rulesFor(sample).includes(index)) sample = `${rule.keywords[0]}:${sample}`;
    if (!ruleset.prefilter.rulesFor(sample).includes(index)) continue;
    if (applyRule(sample, rule, new Map(), mark) !== sample) return true;
  }
  return false;
}

describe('vendored gitleaks rules', () => {
  it('translated all but the listed rules, each dropped one with a reason', () => {
    expect(ruleset.vendored.length).toBeGreaterThan(200);
    expect(ruleset.dropped.map((d) => d.id).sort()).toEqual(['kubernetes-secret-yaml', 'pkcs12-file']);
    for (const d of ruleset.dropped) expect(d.reason.length).toBeGreaterThan(20);
    expect(ruleset.version).toMatch(/\+gitleaks-v8\.30\.0/);
  });

  it('every vendored rule is selected by its keywords and redacts a sample generated from its pattern', () => {
    const silent: string[] = [];
    for (const def of ruleset.vendored) {
      const index = ruleset.keywordRules.findIndex((r) => r.id === def.id);
      const rule = ruleset.keywordRules[index] as CompiledRule;
      if (!fires(rule, index, new RegExp(def.pattern as string, def.flags))) silent.push(def.id);
    }
    expect(silent).toEqual([]);
  });

  it('applies upstream allowlists and entropy thresholds', () => {
    // aws-access-token allows .+EXAMPLE$; generic-api-key needs entropy and skips stopwords.
    expect(redact('aws-key: ABIAQWERTYUIOPASDFGH')).toContain('[REDACTED:');
    expect(redact('api_key = "aaaaaaaaaaaaaaaa"')).toBe('api_key = "aaaaaaaaaaaaaaaa"');
    expect(redact('the token bucket refilled')).toBe('the token bucket refilled');
  });
});
