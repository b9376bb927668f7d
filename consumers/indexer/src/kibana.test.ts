import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_MAPPINGS } from './template.ts';

/** Every dotted field path the template maps, and the flattened fields (any sub-key is valid). */
function mappedFields(): { exact: Set<string>; flattened: string[] } {
  const exact = new Set<string>();
  const flattened: string[] = [];
  const walk = (
    properties: Record<string, { type?: string; properties?: Record<string, unknown> }>,
    prefix: string,
  ): void => {
    for (const [name, spec] of Object.entries(properties)) {
      const path = `${prefix}${name}`;
      if (spec.properties) walk(spec.properties as never, `${path}.`);
      else {
        exact.add(path);
        if (spec.type === 'flattened') flattened.push(path);
        if ((spec as { fields?: object }).fields) exact.add(`${path}.keyword`);
      }
    }
  };
  walk(AUDIT_MAPPINGS.properties as never, '');
  return { exact, flattened };
}

type SavedObject = {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { id: string }[];
};
const objects = readFileSync(new URL('../../../infra/kibana/saved-objects.ndjson', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as SavedObject);

function fieldsOf(object: SavedObject): string[] {
  const fields: string[] = [...((object.attributes.columns as string[] | undefined) ?? [])];
  const source = JSON.parse(
    (object.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON,
  ) as { query: { query: string } };
  for (const match of source.query.query.matchAll(/([@a-z_][\w.@]*)\s*:/g)) fields.push(match[1] as string);
  if (typeof object.attributes.visState === 'string') {
    const vis = JSON.parse(object.attributes.visState) as { aggs: { params: { field?: string } }[] };
    for (const agg of vis.aggs) if (agg.params.field) fields.push(agg.params.field);
  }
  return fields;
}

describe('Kibana saved objects (infra/kibana)', () => {
  const { exact, flattened } = mappedFields();
  const known = (field: string) => exact.has(field) || flattened.some((f) => field.startsWith(`${f}.`));

  it('ship the data view, the six saved searches, four visualisations and the dashboard', () => {
    const count = (type: string) => objects.filter((o) => o.type === type).length;
    expect(objects.find((o) => o.type === 'index-pattern')?.attributes).toMatchObject({
      title: 'audit-events*',
      timeFieldName: '@timestamp',
    });
    expect(count('search')).toBe(6);
    expect(count('visualization')).toBe(4);
    expect(count('dashboard')).toBe(1);
  });

  it('refer only to fields the index template maps', () => {
    for (const object of objects.filter((o) => o.type === 'search' || o.type === 'visualization')) {
      const unknown = fieldsOf(object).filter((f) => !known(f));
      expect(unknown, object.id).toEqual([]);
    }
  });

  it('reference only objects that ship with them', () => {
    const ids = new Set(objects.map((o) => o.id));
    for (const object of objects)
      for (const ref of object.references) expect(ids.has(ref.id), `${object.id} -> ${ref.id}`).toBe(true);
  });
});
