import { KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isFenced, transactionalIdFor } from './partition-producers.ts';

describe('partition producers', () => {
  it('names one transactional id per group, input topic and partition', () => {
    expect(transactionalIdFor('audit.raw.sanitizer', 'audit.raw.v1', 3)).toBe(
      'audit.raw.sanitizer-audit.raw.v1-3',
    );
    expect(transactionalIdFor('g', 't', 0)).not.toBe(transactionalIdFor('g', 't', 1));
  });

  it('recognises a fenced producer, also wrapped by kafkajs retries, and nothing else', () => {
    const epoch = new KafkaJSProtocolError({
      type: 'INVALID_PRODUCER_EPOCH',
      code: 47,
      retriable: false,
      message: 'old epoch',
    } as never);
    expect(isFenced(epoch)).toBe(true);
    expect(isFenced(new Error('retries exhausted', { cause: epoch }))).toBe(true);
    expect(isFenced({ code: 90, message: 'producer fenced' })).toBe(true);
    const notLeader = new KafkaJSProtocolError({
      type: 'NOT_LEADER_FOR_PARTITION',
      code: 6,
      retriable: true,
      message: 'not leader',
    } as never);
    expect(isFenced(notLeader)).toBe(false);
    expect(isFenced(new Error('ECONNREFUSED'))).toBe(false);
    expect(isFenced(undefined)).toBe(false);
  });
});
