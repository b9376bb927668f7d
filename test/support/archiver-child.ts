/**
 * An archiver in its own process, for crash tests:
 *   tsx --conditions=auditflow-source archiver-child.ts <topics JSON> <archive prefix> <group id> [overrides JSON]
 * Overrides are ArchiverConfig fields (e.g. `roll`); `"lockMode": null` archives without Object Lock.
 * The signing key comes from AUDITFLOW_ARCHIVE_SIGNING_KEY. Prints "started" once it runs.
 */

import { signingKey } from '@auditflow/archive';
import type { ArchiverConfig } from '@auditflow/archiver';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { testArchiver, testArchiveStore } from './archive.ts';

function parseOverrides(json: string | undefined): Partial<ArchiverConfig> {
  if (!json) return {};
  const parsed = JSON.parse(json) as Partial<ArchiverConfig> & { lockMode?: null };
  return parsed.lockMode === null ? { ...parsed, lockMode: undefined } : parsed;
}

const [topicsJson, prefix, groupId, overridesJson] = process.argv.slice(2);
if (!topicsJson || !prefix || !groupId)
  throw new Error('usage: archiver-child <topics JSON> <prefix> <group id>');
const archiver = testArchiver(
  JSON.parse(topicsJson),
  testArchiveStore(prefix),
  { groupId, ...parseOverrides(overridesJson) },
  {
    key: signingKey(),
    logger: pino({ level: 'warn' }, process.stderr),
    registry: new Registry(),
  },
);
await archiver.start();
process.stdout.write('started\n');
process.on('SIGTERM', () => void archiver.stop().then(() => process.exit(0)));
