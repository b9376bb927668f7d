import { describe, expect, it } from 'vitest';
import { KeywordPrefilter } from './prefilter.ts';

describe('keyword prefilter', () => {
  const prefilter = new KeywordPrefilter([['ghp_', 'gho_'], ['sk-'], ['sk'], ['api', 'key'], []]);

  it('selects every rule with a keyword in the text, case-insensitively, each once, in order', () => {
    expect(prefilter.rulesFor('token GHP_abc and ghp_def')).toEqual([0]);
    expect(prefilter.rulesFor('export API_KEY=sk-123')).toEqual([1, 2, 3]);
    expect(prefilter.rulesFor('a task')).toEqual([2]);
  });

  it('selects nothing without a keyword, and never a rule without keywords', () => {
    expect(prefilter.rulesFor('checked the diff and the tests')).toEqual([]);
    expect(new KeywordPrefilter([[], []]).rulesFor('anything at all')).toEqual([]);
  });

  it('finds keywords that overlap or are prefixes of each other', () => {
    const overlapping = new KeywordPrefilter([['abcd'], ['bc'], ['abc'], ['cd']]);
    expect(overlapping.rulesFor('xabcdx')).toEqual([0, 1, 2, 3]);
  });
});
