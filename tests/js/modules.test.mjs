// The browser loads static/js/urna and static/vendor as native ES modules:
// every import must be a relative path with its .js extension that exists,
// no bare specifier ("@noble/...") may remain, every vendored file must be
// needed, and the download must stay small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { ROOT } from './helpers.mjs';

const STATIC = join(ROOT, 'static');
const IMPORT = /(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']/g;

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []);
}

function importsOf(file) {
  const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...source.matchAll(IMPORT)].map((m) => m[1]);
}

const URNA = jsFiles(join(STATIC, 'js', 'urna'));
const VENDOR = jsFiles(join(STATIC, 'vendor'));

test('every import is relative, has an extension and exists', () => {
  for (const file of [...URNA, ...VENDOR]) {
    for (const spec of importsOf(file)) {
      const where = `${relative(ROOT, file)} imports ${spec}`;
      assert.match(spec, /^\.\.?\//, `${where}: bare specifiers need an import map`);
      assert.match(spec, /\.js$/, where);
      assert.ok(existsSync(resolve(dirname(file), spec)), `${where}: no such file`);
    }
  }
});

test('every vendored module is reached from static/js/urna', () => {
  const reached = new Set();
  const stack = [...URNA];
  while (stack.length) {
    const file = stack.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    for (const spec of importsOf(file)) stack.push(resolve(dirname(file), spec));
  }
  for (const file of VENDOR) assert.ok(reached.has(file), `${relative(ROOT, file)} is not needed`);
});

test('the browser crypto stays well under its download budget', () => {
  const bytes = [...URNA, ...VENDOR].reduce((n, f) => n + statSync(f).size, 0);
  // 150 kB until the return-code prover (returncodes.js, about 12 kB) came
  assert.ok(bytes < 165_000, `static/js/urna and static/vendor hold ${bytes} bytes of JavaScript`);
});

test('vendored packages carry their licence', () => {
  for (const dir of readdirSync(join(STATIC, 'vendor'), { withFileTypes: true })) {
    if (dir.isDirectory()) assert.ok(existsSync(join(STATIC, 'vendor', dir.name, 'LICENSE')), dir.name);
  }
});
