import { describe, expect, it } from 'vitest';
import { StackError } from './errors.ts';
import { pickJdk } from './jdk.ts';

const jdks = [
  { home: '/jvm/17', major: 17 },
  { home: '/jvm/25', major: 25 },
];

describe('pickJdk', () => {
  it('picks the oldest JDK that satisfies the minimum', () => {
    expect(pickJdk('Kafka', 17, undefined, jdks).home).toBe('/jvm/17');
    expect(pickJdk('Apicurio', 21, undefined, jdks).home).toBe('/jvm/25');
  });

  it('names the server, the requirement and what was found when none fits', () => {
    expect(() => pickJdk('Apicurio', 21, undefined, [{ home: '/jvm/17', major: 17 }])).toThrowError(
      /Apicurio needs Java 21\+; found: 17 \(\/jvm\/17\)/,
    );
    try {
      pickJdk('X', 21, undefined, []);
    } catch (err) {
      expect(err).toBeInstanceOf(StackError);
      expect((err as StackError).hint).toMatch(/AUDITFLOW_JDK_DIRS/);
    }
  });
});
