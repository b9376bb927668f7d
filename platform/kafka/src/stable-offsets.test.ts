import { describe, expect, it } from 'vitest';
import { decodeOffsetFetchV7, encodeOffsetFetchV7, firstError, KAFKA_ERRORS } from './stable-offsets.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A v7 response for topic 't': partition 3 at `offset` with `error`, then the top-level error. */
const response = (offset: string, error: string, topLevel = '0000') =>
  hex(`00 00000000 02 02 74 02 00000003 ${offset} ffffffff 01 ${error} 00 00 ${topLevel} 00`);

describe('OffsetFetch v7 (require_stable)', () => {
  it('encodes group, topic, partitions and require_stable in the flexible layout', () => {
    // header tags, group "g", 1 topic "t" with partitions [3] and its tags, require_stable, tags
    expect(encodeOffsetFetchV7('g', 't', [3]).buffer).toEqual(hex('00 02 67 02 02 74 02 00000003 00 01 00'));
  });

  it('decodes a committed offset, a never-committed partition and the errors', () => {
    const ok = decodeOffsetFetchV7(response('0000000000000005', '0000'));
    expect(ok).toEqual({
      errorCode: 0,
      topics: [{ topic: 't', partitions: [{ partition: 3, offset: 5, errorCode: 0 }] }],
    });
    expect(firstError(ok)).toBe(KAFKA_ERRORS.none);
    const never = decodeOffsetFetchV7(response('ffffffffffffffff', '0000'));
    expect(never.topics[0]?.partitions[0]?.offset).toBe(-1);
    const unstable = decodeOffsetFetchV7(response('ffffffffffffffff', '0058'));
    expect(firstError(unstable)).toBe(KAFKA_ERRORS.unstableOffsetCommit);
    const notCoordinator = decodeOffsetFetchV7(response('ffffffffffffffff', '0000', '0010'));
    expect(firstError(notCoordinator)).toBe(KAFKA_ERRORS.notCoordinator);
  });
});
