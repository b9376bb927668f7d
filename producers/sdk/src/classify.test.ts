import { describe, expect, it } from 'vitest';
import { classifyError } from './classify.ts';

describe('classifyError', () => {
  it.each([
    [{ status: 401 }, 'auth_failure', '401'],
    [{ statusCode: 403 }, 'auth_failure', '403'],
    [{ response: { status: 429 } }, 'rate_limit', '429'],
    [{ status: 404 }, 'not_found', '404'],
    [{ status: 409 }, 'conflict', '409'],
    [{ status: 422 }, 'validation_error', '422'],
    [{ status: 503 }, 'internal', '503'],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'network_error', 'ECONNRESET'],
    [Object.assign(new Error('dns'), { code: 'ENOTFOUND' }), 'network_error', 'ENOTFOUND'],
    [Object.assign(new Error('slow'), { code: 'ETIMEDOUT' }), 'timeout', 'ETIMEDOUT'],
    [new DOMException('aborted', 'TimeoutError'), 'timeout', 'TimeoutError'],
    [
      new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
      'network_error',
      'ECONNREFUSED',
    ],
    [new Error('boom'), 'internal', null],
    ['a string', 'internal', null],
  ])('%o is %s', (error, expectedClass, expectedCode) => {
    expect(classifyError(error)).toEqual({ class: expectedClass, code: expectedCode });
  });
});
