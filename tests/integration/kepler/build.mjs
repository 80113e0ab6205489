// Bundle probe.mjs for Node: some of kepler.gl's dependencies (@flowmap.gl/data) are
// ES modules written for bundlers (imports without file extensions), which Node's own
// loader refuses; kepler.gl's app is bundled the same way.
//   node build.mjs OUTFILE
import {build} from 'esbuild';

await build({
  entryPoints: [new URL('./probe.mjs', import.meta.url).pathname],
  outfile: process.argv[2],
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
  // Bundled CommonJS modules call require(); give the ES module one.
  banner: {js: "import {createRequire} from 'node:module'; const require = createRequire(import.meta.url);"}
});
