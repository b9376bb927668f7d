export { queryClientsFromEnv } from './clients.ts';
export {
  ERASURE_ACTION,
  ERASURES_PATH,
  ErasureError,
  type ErasureRequest,
  type ErasureRequester,
  type ErasureResult,
  eraseAndAudit,
  eraseDocument,
  eraseSubject,
  erasureEvent,
  erasurePlan,
  isPseudonym,
  planErasure,
  pseudonymKeyFromEnv,
} from './erasure.ts';
export { OperatorPolicy } from './masking.ts';
export { buildQuery, csvCell, parseTime, tenantScope } from './query.ts';
export { createQueryApi, type Principal, type QueryApiConfig, type QueryClient } from './server.ts';
export { sessionStatus } from './sessions.ts';
export { ADMINISTRATOR, VIEWER_KEY_ENV, type ViewerScope, ViewerTokens, viewerKeyFromEnv } from './viewer.ts';
