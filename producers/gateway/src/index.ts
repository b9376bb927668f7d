export { Authenticator, type GatewayClient, signBody } from './auth.ts';
export {
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigFromEnv,
  resolveGatewayConfig,
} from './config.ts';
export { createGateway, type Gateway } from './server.ts';
