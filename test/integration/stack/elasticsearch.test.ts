import { describe, expect, it } from 'vitest';
import { elasticsearchClient, endpoints, unique } from '../../support/endpoints.ts';

describe('Elasticsearch (real node)', () => {
  it('answers as Elasticsearch 8 with the product header the client requires', async () => {
    const res = await fetch(`${endpoints().ELASTICSEARCH_URL}/_nodes/_local?filter_path=nodes.*.version`);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const body = (await res.json()) as { nodes: Record<string, { version: string }> };
    expect(Object.values(body.nodes)[0]?.version).toMatch(/^8\./);
  });

  it('indexes, refreshes and searches through @elastic/elasticsearch', async () => {
    const es = elasticsearchClient();
    const index = unique('smoke-es');
    await es.indices.create({ index, settings: { number_of_replicas: 0 } });
    await es.bulk({
      index,
      refresh: true,
      operations: [
        { create: { _id: '1' } },
        { action: 'git.push', outcome: 'success' },
        { create: { _id: '2' } },
        { action: 'auth.login', outcome: 'failure' },
      ],
    });
    const result = await es.search<{ action: string }>({ index, query: { match: { outcome: 'failure' } } });
    expect(result.hits.hits.map((hit) => hit._source?.action)).toEqual(['auth.login']);
    await es.indices.delete({ index });
    await es.close();
  });
});
