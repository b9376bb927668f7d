/**
 * Preloaded into every service the chaos harness starts (`node --import`): every 2 s writes
 * `process.memoryUsage()` to $AUDITFLOW_CHAOS_MEMORY_FILE, so the harness can follow each
 * service's heap as well as its RSS without the service exposing anything.
 */
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env.AUDITFLOW_CHAOS_MEMORY_FILE;
if (file) {
  const write = (): void => {
    try {
      writeFileSync(
        `${file}.tmp`,
        JSON.stringify({ at: Date.now(), pid: process.pid, ...process.memoryUsage() }),
      );
      renameSync(`${file}.tmp`, file);
    } catch {
      // the harness is gone or the disk is full: memory figures are not worth failing over
    }
  };
  write();
  setInterval(write, 2000).unref();
}
