import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The console is built once into dist/ (static files the query API serves at /console); no
 * CDN at run time. `base` makes asset URLs absolute under /console/ so deep links
 * (/console/event/<id>) load them too.
 */
export default defineConfig({
  base: '/console/',
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  logLevel: 'warn',
});
