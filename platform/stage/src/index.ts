export { type Committed, ConsumeLoop, type ConsumeLoopOptions } from './consume-loop.ts';
export type {
  CommitMode,
  DeliveryGuarantee,
  Sink,
  Stage,
  StageBatch,
  Transform,
  TransformOutcome,
} from './contracts.ts';
