/**
 * An archiver in its own process, for crash tests:
 *   tsx archiver-child.ts <topics JSON> <archive prefix> <group id>
 * The signing key comes from AUDITFLOW_ARCHIVE_SIGNING_KEY. Prints "started" once it runs.
 */
import { signingKey } from '@auditflow/archiver';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { testArchiver, testArchiveStore } from './archive.ts';

const [topicsJson, prefix, groupId] = process.argv.slice(2);
if (!topicsJson || !prefix || !groupId)
  throw new Error('usage: archiver-child <topics JSON> <prefix> <group id>');
const archiver = testArchiver(
  JSON.parse(topicsJson),
  testArchiveStore(prefix),
  { groupId },
  {
    key: signingKey(),
    logger: pino({ level: 'warn' }, process.stderr),
    registry: new Registry(),
  },
);
await archiver.start();
process.stdout.write('started\n');
process.on('SIGTERM', () => void archiver.stop().then(() => process.exit(0)));
