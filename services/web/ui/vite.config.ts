/**
 * Builds the single-page app into services/web/dist: hashed file names under assets/
 * (served as immutable), one index.html. The build prints what the first page loads
 * (its entry script and the chunks it imports statically), gzipped, against a budget
 * of 200 kB, and fails above it.
 */

import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const FIRST_PAGE_JS_BUDGET = 200 * 1024;

function firstPageBudget(): Plugin {
  return {
    name: 'first-page-js-budget',
    apply: 'build',
    generateBundle(_, bundle) {
      const chunks = new Map(Object.values(bundle).flatMap((o) => (o.type === 'chunk' ? [[o.fileName, o] as const] : [])));
      const loaded = new Set<string>();
      const visit = (name: string) => {
        if (loaded.has(name)) return;
        loaded.add(name);
        for (const dep of chunks.get(name)?.imports ?? []) visit(dep);
      };
      for (const chunk of chunks.values()) if (chunk.isEntry) visit(chunk.fileName);
      let gzipped = 0;
      for (const name of loaded) gzipped += gzipSync(chunks.get(name)?.code ?? '', { level: 9 }).length;
      const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
      const line = `first-page JS: ${kb(gzipped)} gzipped in ${loaded.size} file(s) (budget ${kb(FIRST_PAGE_JS_BUDGET)})`;
      if (gzipped > FIRST_PAGE_JS_BUDGET) this.error(`${line}: over budget`);
      console.log(`\n  ${line}\n`);
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Vite's module-preload polyfill is an inline-free script, but every browser this
    // targets preloads modules itself.
    modulePreload: { polyfill: false },
  },
  plugins: [firstPageBudget()],
});
