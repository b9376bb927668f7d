export { loadStreamerConfig, type StreamerConfig } from './config.ts';
export { ConfigError, readConfigFile } from './config-file.ts';
export {
  type DestinationConfig,
  DestinationRunner,
  Destinations,
  destinationStage,
  groupIdOf,
  loadDestinations,
  signatureHeader,
  verifySignature,
} from './destinations/index.ts';
export { type Filters, matches, parseFilters } from './filters.ts';
export { sseFramer, wsFramer } from './frames.ts';
export { CapacityError, type HubConfig, STREAMER_STAGE, StreamHub } from './hub.ts';
export { decodePosition, encodePosition, type Position, parseSince } from './position.ts';
export { createStreamServer, type StreamServerConfig } from './server.ts';
export { type Offer, type Sink, Subscriber } from './subscriber.ts';
export { authenticator, type StreamClient, scopeFor } from './tokens.ts';
