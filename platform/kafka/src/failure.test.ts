import { describe, expect, it } from 'vitest';
import { classifyBulkItem, classifyFailure } from './failure.ts';
import { DecodeError, RegistryUnavailableError } from './wire.ts';

// The fields the AWS SDK v3 (S3ServiceException) and @elastic/elasticsearch (ResponseError,
// ConnectionError, TimeoutError) errors carry; the runtime reads only these.
const named = (name: string, fields: object = {}) => Object.assign(new Error(name), { name }, fields);
const s3Error = (name: string, status: number) =>
  named(name, { $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
const esError = (status: number, type: string) =>
  named('ResponseError', { meta: { statusCode: status, body: { error: { type, reason: 'x' }, status } } });

describe('classifyFailure', () => {
  it('takes the retriable flag of our own errors', () => {
    expect(classifyFailure(new DecodeError('corrupt_avro', 'bad'))).toMatchObject({
      retriable: false,
      reason: 'corrupt_avro',
    });
    expect(classifyFailure(new RegistryUnavailableError('down')).retriable).toBe(true);
  });

  it.each([
    ['KeyTooLongError', 400, false],
    ['InvalidArgument', 400, false],
    ['InvalidObjectName', 400, false],
    ['EntityTooLarge', 400, false],
    ['SlowDown', 503, true],
    ['ServiceUnavailable', 503, true],
    ['InternalError', 500, true],
    ['RequestTimeout', 400, true],
    ['AccessDenied', 403, true],
    ['NoSuchBucket', 404, true],
  ])('S3 %s (%i) is retriable: %s', (name, status, retriable) => {
    const failure = classifyFailure(s3Error(name, status));
    expect(failure.retriable).toBe(retriable);
    expect(failure.reason).toBe(`s3_${name}`);
  });

  it.each([
    [400, 'mapper_parsing_exception', false],
    [400, 'illegal_argument_exception', false],
    [400, 'document_parsing_exception', false],
    [429, 'es_rejected_execution_exception', true],
    [503, 'unavailable_shards_exception', true],
    [403, 'cluster_block_exception', true],
  ])('Elasticsearch %i %s is retriable: %s', (status, type, retriable) => {
    const failure = classifyFailure(esError(status, type));
    expect(failure).toMatchObject({ retriable, reason: `elasticsearch_${type}` });
  });

  it('treats lost connections and timeouts as retriable', () => {
    expect(classifyFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).retriable).toBe(
      true,
    );
    expect(classifyFailure(named('ConnectionError')).retriable).toBe(true);
    // As the Elasticsearch client throws them: with `meta.statusCode` 0 (no answer).
    const refused = named('ConnectionError', { meta: { statusCode: 0, body: undefined } });
    expect(classifyFailure(refused).retriable).toBe(true);
    expect(classifyFailure(named('TimeoutError', { meta: { statusCode: 0 } })).retriable).toBe(true);
    expect(classifyFailure(named('TimeoutError')).retriable).toBe(true);
    const wrapped = new Error('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
    });
    expect(classifyFailure(wrapped)).toMatchObject({ retriable: true, reason: 'connection_lost' });
  });

  it('sets aside what fails the same way every time', () => {
    expect(classifyFailure(new RangeError('Invalid time value'))).toMatchObject({
      retriable: false,
      reason: 'unexpected_error',
    });
    expect(classifyFailure('thrown string').retriable).toBe(false);
  });
});

describe('classifyBulkItem', () => {
  it('dead-letters mapping errors and retries 429/5xx', () => {
    expect(classifyBulkItem(400, 'mapper_parsing_exception', 'failed to parse').retriable).toBe(false);
    expect(classifyBulkItem(400, 'document_parsing_exception', 'x').retriable).toBe(false);
    expect(classifyBulkItem(429, 'es_rejected_execution_exception', 'queue full').retriable).toBe(true);
    expect(classifyBulkItem(500, undefined, undefined).retriable).toBe(true);
    expect(classifyBulkItem(403, 'cluster_block_exception', 'read-only').retriable).toBe(true);
  });
});
