import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConsole } from './static.ts';

describe('console files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  const file = loadConsole(dir);

  it('serves built files with their type, caching hashed assets only', () => {
    const js = file?.('/console/assets/index-abc.js');
    expect(js?.body.toString()).toBe('console.log(1)');
    expect(js?.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js?.headers['cache-control']).toContain('immutable');
    const html = file?.('/console/index.html');
    expect(html?.headers['cache-control']).toBe('no-cache');
    expect(html?.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it("answers the app's own routes with index.html, never a path it made up", () => {
    expect(file?.('/console/event/0192-abc')?.body.toString()).toContain('<title>console</title>');
    expect(file?.('/console/search')?.body.toString()).toContain('<title>console</title>');
    expect(file?.('/console/assets/missing.js')).toBeUndefined();
    expect(file?.('/console/../../etc/passwd')?.body.toString()).toContain('<title>console</title>');
  });

  it('is undefined when the console was not built', () => {
    expect(loadConsole(mkdtempSync(join(tmpdir(), 'empty-')))).toBeUndefined();
  });
});
