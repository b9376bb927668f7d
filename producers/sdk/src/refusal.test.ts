import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { brokerRefusal } from './refusal.ts';

const protocol = (type: string, retriable = false) =>
  new KafkaJSProtocolError({ message: type, type, code: 10, retriable } as never);

describe('brokerRefusal', () => {
  it('finds a record refusal directly, as a cause, and inside an aggregate', () => {
    expect(brokerRefusal(protocol('MESSAGE_TOO_LARGE'))).toBe('MESSAGE_TOO_LARGE');
    // kafkajs' retrier wraps a non-retriable error with the original as its cause.
    const wrapped = Object.assign(new KafkaJSNonRetriableError(new Error('wrapped')), {
      cause: protocol('RECORD_LIST_TOO_LARGE'),
    });
    expect(brokerRefusal(wrapped)).toBe('RECORD_LIST_TOO_LARGE');
    expect(
      brokerRefusal({ name: 'KafkaJSAggregateError', errors: [new Error('x'), protocol('INVALID_RECORD')] }),
    ).toBe('INVALID_RECORD');
  });

  it('is undefined for transport trouble and other protocol errors (they are retried)', () => {
    expect(brokerRefusal(protocol('NOT_LEADER_FOR_PARTITION', true))).toBeUndefined();
    expect(brokerRefusal(protocol('TOPIC_AUTHORIZATION_FAILED'))).toBeUndefined();
    expect(
      brokerRefusal(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(brokerRefusal(undefined)).toBeUndefined();
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = { cause: cyclic };
    expect(brokerRefusal(cyclic)).toBeUndefined();
  });
});
