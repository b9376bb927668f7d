export { type EnricherContext, enrichEvent, fingerprint, loadMetadata, type Metadata } from './enrich.ts';
