import RandExpModule from 'randexp';

// randexp is CommonJS (`module.exports = RandExp`) while its types declare a default export.
const RandExp = RandExpModule as unknown as typeof RandExpModule.default;

/** Random strings matching `pattern`; with a seed, the same strings on every run. */
export function sampleGenerator(pattern: RegExp, seed?: number): { gen(): string } {
  // randexp cannot parse lookbehinds; the samples do without them (the rule still checks them).
  const source = pattern.source.replace(/\(\?<[!=][^()]*\)/g, '');
  const generator = new RandExp(new RegExp(source, pattern.flags));
  if (seed !== undefined) {
    let state = seed >>> 0 || 1;
    // xorshift32: exact in 32-bit integers (an LCG in doubles loses bits and repeats).
    generator.randInt = (a: number, b: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return a + ((state >>> 0) % (b - a + 1));
    };
  }
  return generator;
}

/**
 * Hostile inputs for one rule, built from the rule's own pattern and keywords: long runs of
 * each character class it uses, its keywords repeated, near-misses (keyword, separator and an
 * almost-long-enough body, repeated), and the classic backtracking traps. For the adversarial
 * linear-time test; `size` is the length of each input.
 */
export function adversarialInputs(
  pattern: string,
  keywords: readonly string[],
  size: number,
): Map<string, string> {
  const inputs = new Map<string, string>();
  const fill = (name: string, unit: string): void => {
    if (unit.length === 0) return;
    inputs.set(name, unit.repeat(Math.ceil(size / unit.length)).slice(0, size));
  };
  const classes = new Set(pattern.match(/\[(?:\\.|[^\]\\])+\]/g) ?? []);
  let n = 0;
  for (const cls of classes) {
    // 64 characters drawn from the class, cycled: a run the class (and its quantifier) eats.
    const gen = sampleGenerator(new RegExp(cls), n + 1);
    let run = '';
    for (let i = 0; i < 64; i++) run += gen.gen();
    fill(`class ${n++} ${cls.slice(0, 30)}`, run);
  }
  const generated = sampleGenerator(new RegExp(pattern), 7).gen();
  fill('sample repeated', `${generated} `);
  fill('sample glued', generated);
  fill('sample minus its last char', generated.slice(0, -1));
  for (const kw of keywords.slice(0, 3)) {
    fill(`keyword ${kw}`, kw);
    fill(`keyword ${kw} spaced`, `${kw} `);
    fill(`near-miss ${kw}=`, `${kw} = "${'Ab1'.repeat(3)}`);
    fill(`near-miss ${kw}: body`, `${kw}: ${generated.slice(0, Math.max(1, generated.length - 2))}\u0000`);
  }
  fill('a-a-a-', 'a-');
  fill('a_a_a_', 'a_');
  fill('a.a.a.', 'a.');
  fill('=-heavy', '==a=');
  fill('whitespace-heavy', ' \t \n  a');
  fill('digits with separators', '4111 1111-');
  fill('digits', '4');
  fill('key: key:', 'key: ');
  fill('quotes', '"\'`');
  fill('slashes', 'a://b:c@');
  fill('PEM headers', '-----BEGIN A PRIVATE KEY-----');
  return inputs;
}
