/**
 * An SSE subscriber in a process of its own, for tests where a subscriber must keep up: in the
 * test's own process it would share one event loop with the streamer it measures. Prints one
 * line per event: `<position> <event id> <ms from occurred_at to arrival>`.
 */
import { request } from 'node:http';

const [url, token] = process.argv.slice(2) as [string, string];
let buffer = '';
request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
  process.stdout.write(`status ${res.statusCode}\n`);
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    let out = '';
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id && data && !block.includes('event: ')) {
        const event = JSON.parse(data) as { id: string; occurred_at: string };
        out += `${id} ${event.id} ${Date.now() - Date.parse(event.occurred_at)}\n`;
      }
      end = buffer.indexOf('\n\n');
    }
    if (out) process.stdout.write(out);
  });
  res.on('end', () => process.stdout.write('end\n'));
}).end();
