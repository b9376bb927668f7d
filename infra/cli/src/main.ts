import { StackError } from '@auditflow/stack';
import { Command, CommanderError } from 'commander';
import { archiveCommands } from './commands/archive.ts';
import { composeCommand } from './commands/compose.ts';
import { doctorCommand } from './commands/doctor.ts';
import { emitCommand } from './commands/emit.ts';
import { queryCommands } from './commands/query.ts';
import { schemasCommand } from './commands/schemas.ts';
import { stackCommand } from './commands/stack.ts';
import { statusCommand } from './commands/status.ts';
import { topicsCommand } from './commands/topics.ts';
import { upCommands } from './commands/up.ts';
import { viewerTokenCommand } from './commands/viewer-token.ts';

const program = new Command('auditflow')
  .description('Auditflow: audit events from your services to Kafka, Elasticsearch, S3 and SIEM streams')
  .showHelpAfterError()
  .exitOverride();

for (const command of upCommands()) program.addCommand(command);
program.addCommand(stackCommand());
program.addCommand(topicsCommand());
program.addCommand(schemasCommand());
program.addCommand(emitCommand());
program.addCommand((await import('./commands/tail.ts')).tailCommand());
for (const command of queryCommands()) program.addCommand(command);
program.addCommand(viewerTokenCommand());
for (const command of archiveCommands()) program.addCommand(command);
program.addCommand((await import('./commands/erase.ts')).eraseCommand());
program.addCommand(doctorCommand());
program.addCommand(statusCommand());
program.addCommand(composeCommand());
program.addCommand((await import('./commands/report.ts')).reportCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof StackError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    process.exit(1);
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
