import { type ChildProcess, spawn } from 'node:child_process';
import type { PipelineTopics } from './pipeline-topics.ts';

/**
 * Starts test/support/processor-child.ts (a sanitizer or enricher in its own process, for
 * SIGKILL and rebalance tests) and resolves once it runs. `dedupeWindow`: drop producer resends
 * with that window per partition, as the sanitizer service does. Every child is pushed onto
 * `children` so the test can kill what is left.
 */
export function startProcessorChild(
  children: ChildProcess[],
  stage: 'sanitizer' | 'enricher',
  topics: PipelineTopics,
  instanceId: string,
  dedupeWindow?: number,
): Promise<ChildProcess> {
  const args = [
    '--import',
    'tsx',
    '--conditions=auditflow-source',
    'test/support/processor-child.ts',
    stage,
    JSON.stringify(topics),
    instanceId,
  ];
  if (dedupeWindow !== undefined) args.push(String(dedupeWindow));
  const child = spawn('node', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('started')) resolve(child);
    });
    child.once('exit', (code) =>
      reject(new Error(`${stage} ${instanceId} exited with ${code} before it started`)),
    );
  });
}
