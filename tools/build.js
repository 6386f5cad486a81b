// Builds one project into dist/<project root> with esbuild.
// Apps become an ESM bundle (main.js, plus a chunk for each module they load with import()) with the workspace libs
// inlined and npm packages left as imports;
// libs are bundled from their public index with sibling libs kept external, which also proves a lib's
// public API resolves on its own.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import path from 'node:path';

const [projectRoot, kind] = process.argv.slice(2);
if (!projectRoot || !['app', 'lib'].includes(kind ?? '')) {
  console.error('usage: node tools/build.js <project root> app|lib');
  process.exit(2);
}

const workspaceRoot = path.resolve(import.meta.dirname, '..');
const entry = kind === 'app' ? 'src/main.ts' : 'src/index.ts';

/** The project's tsconfig.json, or the nearest one above it (its paths map @bdk/* to the libs). */
function tsconfigFor(dir) {
  const file = path.join(workspaceRoot, dir, 'tsconfig.json');
  return existsSync(file) || dir === '.' ? file : tsconfigFor(path.dirname(dir));
}

await build({
  absWorkingDir: workspaceRoot,
  entryPoints: [path.join(projectRoot, entry)],
  outdir: path.join('dist', projectRoot),
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  // A module an app loads with import() becomes a chunk that imports its npm packages itself; in one file esbuild
  // hoists every package import to the top, and they would all load at start-up.
  splitting: kind === 'app',
  tsconfig: tsconfigFor(projectRoot),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  packages: 'external',
  external: kind === 'lib' ? ['@bdk/*'] : [],
  logLevel: 'warning',
});
