/**
 * A session's or trace's events as the timeline shows them (issue 17): each with its kind
 * (lifecycle, tool call, API call, authorization decision, other), the objects the session
 * touched (commits, merge requests, notes, files) and how it ended.
 */

// biome-ignore lint/suspicious/noExplicitAny: index documents are schemaless JSON.
export type Doc = any;

export type Kind = 'lifecycle' | 'tool call' | 'API call' | 'authorization' | 'other';

const LIFECYCLE = /\.(started|paused|resumed|completed|failed|plan_generated)$/;
/** Target types and details keys that name an object a session created or changed. */
export const OBJECT_TYPES = [
  'commit',
  'merge_request',
  'mr',
  'note',
  'file',
  'branch',
  'issue',
  'discussion',
];

export function kindOf(doc: Doc): Kind {
  const action: string = doc?.event?.action ?? '';
  if (LIFECYCLE.test(action)) return 'lifecycle';
  if (
    /(^|\.)(auth|authz|approval|webhook)\b|\.(verify|approved|rejected|denied)$/.test(action) ||
    doc?.audit?.outcome === 'denied'
  )
    return 'authorization';
  if (/(^|\.)tool(\.|_)|\.tool$|file\.access|\.exec$/.test(action)) return 'tool call';
  if (/\.api\.|^llm\.|^git\.|\.request$/.test(action)) return 'API call';
  return 'other';
}

export interface TouchedObject {
  readonly type: string;
  readonly id: string;
  readonly name?: string;
  readonly action: string;
}

/** Objects the events touched: targets of object types and `resources_created` in details. */
export function touchedObjects(docs: readonly Doc[]): TouchedObject[] {
  const seen = new Map<string, TouchedObject>();
  const add = (type: unknown, id: unknown, name: unknown, action: string): void => {
    if (typeof type !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) return;
    const key = `${type}:${id}`;
    if (!seen.has(key))
      seen.set(key, { type, id: String(id), ...(typeof name === 'string' ? { name } : {}), action });
  };
  for (const doc of docs) {
    const action: string = doc?.event?.action ?? '';
    const target = doc?.audit?.target;
    if (target && OBJECT_TYPES.includes(String(target.type).toLowerCase()))
      add(target.type, target.id, target.name, action);
    const created = doc?.audit?.details?.resources_created;
    if (Array.isArray(created))
      for (const r of created)
        if (r && typeof r === 'object') add(r.type, r.id ?? r.sha ?? r.iid, r.name ?? r.url, action);
  }
  return [...seen.values()];
}

/** How the session ended: its last lifecycle event, or that it has not ended. */
export function ending(docs: readonly Doc[]): { status: string; doc: Doc | undefined } {
  const last = [...docs].reverse().find((d) => kindOf(d) === 'lifecycle');
  const action: string = last?.event?.action ?? '';
  const status = action.endsWith('.completed')
    ? 'completed'
    : action.endsWith('.failed')
      ? 'failed'
      : action.endsWith('.paused')
        ? 'paused'
        : 'running';
  return { status, doc: last };
}
