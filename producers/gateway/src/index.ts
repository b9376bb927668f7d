export { Authenticator, type GatewayClient, NONCE_PATTERN, signBody } from './auth.ts';
export { type AggregatedAuthFailure, AuthFailureAggregator } from './auth-failures.ts';
export {
  AUTH_FAILURE_INTERVAL_ENV,
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigFromEnv,
  resolveGatewayConfig,
} from './config.ts';
export { createGateway, type Gateway, HEADERS } from './server.ts';
