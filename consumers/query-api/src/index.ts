export { buildQuery, csvCell, parseTime, tenantScope } from './query.ts';
export { createQueryApi, type QueryApiConfig, type QueryClient } from './server.ts';
