export { toEcsDocument } from './ecs.ts';
export { Indexer, type IndexerConfig } from './indexer.ts';
export {
  AUDIT_MAPPINGS,
  expiredIndices,
  type IndexLayout,
  ilmPolicyBody,
  indexFor,
  templateBody,
} from './template.ts';
