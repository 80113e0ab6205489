// Bundle kepler.gl for the tests, into OUTDIR:
//   probe.mjs  for Node (test_kepler.py). Some of kepler.gl's dependencies
//              (@flowmap.gl/data) are ES modules written for bundlers (imports without
//              file extensions), which Node's own loader refuses.
//   app.js + index.html  kepler.gl's app for the browser (test_kepler_app.py).
//   node build.mjs OUTDIR
import {copyFileSync} from 'node:fs';
import {join} from 'node:path';
import {build} from 'esbuild';

const here = new URL('.', import.meta.url).pathname;
const out = process.argv[2];

await build({
  entryPoints: [join(here, 'probe.mjs')],
  outfile: join(out, 'probe.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
  // Bundled CommonJS modules call require(); give the ES module one.
  banner: {js: "import {createRequire} from 'node:module'; const require = createRequire(import.meta.url);"}
});

if (process.argv[3] !== '--probe-only') {
  await build({
    entryPoints: [join(here, 'app.jsx')],
    outfile: join(out, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    jsx: 'automatic',
    logLevel: 'error',
    loader: {'.js': 'jsx', '.png': 'dataurl', '.svg': 'dataurl', '.css': 'text'},
    define: {'process.env.NODE_ENV': '"production"', global: 'window'},
    // What kepler.gl's own webpack build provides for code written for Node.
    banner: {
      js: "var process = {env: {NODE_ENV: 'production'}, browser: true, version: '', versions: {}, nextTick: (f, ...a) => Promise.resolve().then(() => f(...a))};"
    }
  });
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
}
