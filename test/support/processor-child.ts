/**
 * A processor in its own process, for crash and rebalance tests:
 *   tsx --conditions=auditflow-source processor-child.ts <sanitizer|enricher|fused> <topics JSON> <instance id> [dedupe window]
 * Prints "started" once it runs; stops gracefully on SIGTERM.
 */
import { stageProcessor } from './processors.ts';

const [stage, topicsJson, instanceId, dedupeWindow] = process.argv.slice(2);
if ((stage !== 'sanitizer' && stage !== 'enricher' && stage !== 'fused') || !topicsJson || !instanceId) {
  throw new Error('usage: processor-child <sanitizer|enricher|fused> <topics JSON> <instance id>');
}
const processor = stageProcessor(stage, JSON.parse(topicsJson), {
  instanceId,
  dedupeWindow: dedupeWindow ? Number(dedupeWindow) : undefined,
});
await processor.start();
process.stdout.write('started\n');
process.on('SIGTERM', () => {
  void processor.stop().then(() => process.exit(0));
});
