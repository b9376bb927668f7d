/**
 * One classification of every error a stage meets while handling a record (issue 14): retriable
 * (the record is fine, the world is not: connection lost, timeouts, 5xx, 429, throttling, the
 * store refusing us as a whole) or permanent (this record can never succeed: 4xx about the
 * request itself, mapping/parse errors, invalid or undecodable values). Permanent failures go to
 * the DLQ and the stage moves on; retriable ones back off. Duck-typed so the runtime needs
 * neither the S3 nor the Elasticsearch client.
 */

export interface FailureClass {
  readonly retriable: boolean;
  /** Short machine-readable reason, the DLQ's `auditflow-reason` (e.g. `s3_KeyTooLongError`). */
  readonly reason: string;
  /** One line for logs and the DLQ's `auditflow-error` (no event contents). */
  readonly detail: string;
}

/** Node/undici network failures: the peer, not the record. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Error names that mean "try again later" whatever the status says. */
const RETRIABLE_NAMES = new Set([
  // S3
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'OperationAborted',
  // Elasticsearch client
  'ConnectionError',
  'TimeoutError',
  'NoLivingConnectionsError',
  'RequestAbortedError',
  // fetch / AbortSignal.timeout / p-retry aborted by a stop
  'AbortError',
  'FetchError',
  // our own
  'RegistryUnavailableError',
]);

/**
 * Answers about the stage as a whole, not the record: wrong credentials, a missing bucket or
 * index, a read-only cluster. Dead-lettering every record for them would empty the stream into
 * the DLQ; backing off (and alerting on the retry metric) is what an operator wants.
 */
const STAGE_WIDE_NAMES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'NoSuchBucket',
  'cluster_block_exception',
  'security_exception',
  'index_closed_exception',
  'index_not_found_exception',
]);

/** Whether an HTTP status means the request may succeed later (429, 408, 5xx, or stage-wide 401/403/404). */
export function retriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500 || status === 401 || status === 403;
}

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly retriable?: unknown;
  readonly reason?: unknown;
  readonly cause?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly meta?: { readonly statusCode?: unknown; readonly body?: unknown };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The Elasticsearch error type of a ResponseError (`mapper_parsing_exception`, …). */
function elasticType(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error === 'string') return undefined;
  return str((error as { type?: unknown } | undefined)?.type);
}

export function classifyFailure(err: unknown): FailureClass {
  if (typeof err !== 'object' || err === null) {
    return { retriable: false, reason: 'unexpected_error', detail: String(err).slice(0, 500) };
  }
  const e = err as ErrorShape;
  const name = str(e.name) ?? 'Error';
  const message = (str(e.message) ?? '').slice(0, 500);
  const detail = `${name}: ${message}`;
  // Our own error base says it (DecodeError, RegistryUnavailableError, EventValidationError).
  if (typeof e.retriable === 'boolean') {
    return { retriable: e.retriable, reason: str(e.reason) ?? snake(name), detail };
  }
  const code = str(e.code);
  if (code && NETWORK_CODES.has(code)) return { retriable: true, reason: 'connection_lost', detail };
  const s3Status = e.$metadata?.httpStatusCode;
  if (typeof s3Status === 'number' || e.$retryable !== undefined) {
    const status = typeof s3Status === 'number' ? s3Status : 0;
    const retriable =
      RETRIABLE_NAMES.has(name) ||
      STAGE_WIDE_NAMES.has(name) ||
      e.$retryable !== undefined ||
      status === 0 ||
      retriableStatus(status);
    return { retriable, reason: `s3_${name}`, detail: `${detail} (HTTP ${status})` };
  }
  const esStatus = e.meta?.statusCode;
  if (typeof esStatus === 'number') {
    const type = elasticType(e.meta?.body) ?? name;
    // The client's ConnectionError and TimeoutError carry status 0: no answer at all.
    const retriable =
      RETRIABLE_NAMES.has(name) ||
      STAGE_WIDE_NAMES.has(type) ||
      esStatus === 0 ||
      retriableStatus(esStatus) ||
      esStatus === 404;
    return { retriable, reason: `elasticsearch_${type}`, detail: `${detail} (HTTP ${esStatus})` };
  }
  if (RETRIABLE_NAMES.has(name)) return { retriable: true, reason: snake(name), detail };
  if (e.cause !== undefined && e.cause !== err) {
    const cause = classifyFailure(e.cause);
    if (cause.retriable) return { ...cause, detail: `${detail} (${cause.detail})` };
  }
  // Anything else thrown while handling one record (a TypeError on a hostile value, a RangeError
  // on an impossible date) fails the same way every time: set the record aside.
  return { retriable: false, reason: 'unexpected_error', detail };
}

/**
 * An Elasticsearch bulk item's error: per-item statuses decide (400 mapping/parse errors are
 * the document's fault; 429/5xx and stage-wide refusals are not).
 */
export function classifyBulkItem(
  status: number,
  type: string | undefined,
  reason: string | undefined,
): FailureClass {
  const retriable =
    retriableStatus(status) || (type !== undefined && STAGE_WIDE_NAMES.has(type)) || status === 404;
  return {
    retriable,
    reason: 'elasticsearch_rejected',
    detail: `${type ?? status}: ${(reason ?? 'rejected').slice(0, 1000)}`,
  };
}

const snake = (name: string): string =>
  name
    .replace(/Error$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase() || 'error';
