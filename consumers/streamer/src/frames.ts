/**
 * Wire frames for the two transports. Event JSON is serialised once per event by the feed and
 * spliced in here, so a hundred subscribers do not re-serialise the same event.
 */
export interface Framer {
  event(json: string, position: string): string;
  overflow(position: string): string;
  heartbeat(): string;
}

const OVERFLOW_HINT = 'subscriber fell behind; reconnect with this position to resume without a gap';

export const sseFramer: Framer = {
  event: (json, position) => `id: ${position}\ndata: ${json}\n\n`,
  // The overflow frame carries the same position as `id:` so an EventSource resumes from it by itself.
  overflow: (position) =>
    `id: ${position}\nevent: overflow\ndata: ${JSON.stringify({ type: 'overflow', position, message: OVERFLOW_HINT })}\n\n`,
  heartbeat: () => ': heartbeat\n\n',
};

export const wsFramer: Framer = {
  event: (json, position) => `{"type":"event","position":"${position}","event":${json}}`,
  overflow: (position) => JSON.stringify({ type: 'overflow', position, message: OVERFLOW_HINT }),
  heartbeat: () => '{"type":"heartbeat"}',
};
