import { describe, expect, it } from 'vitest';
import { adversarialInputs } from './adversarial.ts';
import { applyRule, type Marker } from './redact.ts';
import { loadRuleset } from './rules.ts';

/**
 * Every rule, ours and vendored, on hostile strings built from its own pattern and keywords
 * (SPEC: every regex on untrusted text runs in linear time). The rule runs without the keyword
 * prefilter, as if every string held its keywords. A quadratic rule takes seconds on 100 KB;
 * a linear one (bounded repetitions) takes a few ms here, the slowest about 15 ms. Measured in
 * CPU time of this process, so a loaded box does not fail it. The 1 MB run of each rule's slowest input must stay within 10x the 100 KB limit:
 * linear, not quadratic (which would be 100x). The limit is 80 ms: at 40 ms a clean-clone CI run
 * on an idle machine failed generic-api-key at 43.5 ms (the process's CPU time counts V8's GC and
 * compiler threads, busy while other test files run), still two orders below a quadratic rule.
 */
const LIMIT_MS_PER_100KB = 80;
const LIMIT_MS_PER_MB = 10 * LIMIT_MS_PER_100KB;
/** Wall-clock allowance per rule: the limits are on CPU time, a busy box stretches the rest. */
const TEST_TIMEOUT_MS = 60_000;

const ruleset = loadRuleset();
/** Scanner rules have no pattern: their inputs come from the characters they scan. */
const SCANNER_ALPHABETS: Record<string, string> = {
  'payment-card': '[0-9 -]',
  'long-token': '[A-Za-z0-9+/_=-]',
};
const patterns = new Map(
  [...ruleset.definitions, ...ruleset.vendored].map((d) => [
    d.id,
    d.pattern ?? SCANNER_ALPHABETS[d.scanner as string] ?? '[\\s\\S]',
  ]),
);
const mark: Marker = (rule) => `[REDACTED:${rule}]`;

/** CPU milliseconds of this process: other processes on a busy box do not inflate them. */
function cpuMs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** The fastest of a few runs once over `limit`: a GC pause is not the rule. */
function timeOf(run: () => void, limit: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3 && best > limit; attempt++) best = Math.min(best, cpuMs(run));
  return best;
}

describe('every rule runs in linear time on adversarial input', { timeout: TEST_TIMEOUT_MS }, () => {
  for (const rule of ruleset.rules) {
    it(
      rule.id,
      () => {
        const pattern = patterns.get(rule.id) as string;
        // Compile and tier up first: the first runs of a regex are not its steady cost.
        for (const text of adversarialInputs(pattern, rule.keywords, 2_000).values()) {
          applyRule(text, rule, new Map(), mark);
        }
        let worst = { name: '', ms: -1 };
        const slow: string[] = [];
        for (const [name, text] of adversarialInputs(pattern, rule.keywords, 100_000)) {
          const ms = timeOf(() => applyRule(text, rule, new Map(), mark), LIMIT_MS_PER_100KB);
          if (ms > worst.ms) worst = { name, ms };
          if (ms > LIMIT_MS_PER_100KB) slow.push(`${name}: ${ms.toFixed(1)} ms`);
        }
        expect(slow, `${rule.id} per 100 KB`).toEqual([]);
        const big = adversarialInputs(pattern, rule.keywords, 1_000_000).get(worst.name) as string;
        const ms = timeOf(() => applyRule(big, rule, new Map(), mark), LIMIT_MS_PER_MB);
        expect(ms, `${rule.id} on 1 MB of '${worst.name}'`).toBeLessThan(LIMIT_MS_PER_MB);
      },
      TEST_TIMEOUT_MS,
    );
  }

  it(
    'the keyword prefilter stays linear on 1 MB of every keyword and of near-keywords',
    () => {
      const keywords = ruleset.keywordRules.flatMap((r) => r.keywords);
      for (const unit of [
        keywords.join(''),
        keywords.join(' '),
        keywords.map((k) => k.slice(0, -1)).join(''),
      ]) {
        const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
        ruleset.prefilter.rulesFor(text.slice(0, 2000));
        expect(timeOf(() => ruleset.prefilter.rulesFor(text), LIMIT_MS_PER_MB)).toBeLessThan(LIMIT_MS_PER_MB);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it('builds the inputs the brief names for a rule', () => {
    const inputs = adversarialInputs('(?:token)[\\w.-]{0,20}=([a-z]{8})', ['token'], 1000);
    for (const name of [
      'a-a-a-',
      'a_a_a_',
      '=-heavy',
      'whitespace-heavy',
      'digits with separators',
      'keyword token',
    ]) {
      expect(inputs.get(name)?.length, name).toBe(1000);
    }
    expect([...inputs.keys()].filter((k) => k.startsWith('class ')).length).toBe(2);
    expect([...inputs.keys()].some((k) => k.startsWith('near-miss token'))).toBe(true);
  });
});
