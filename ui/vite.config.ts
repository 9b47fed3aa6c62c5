import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const uiRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

// The built app lands in dist/ui, which the server serves at `/`.
// `vite --config ui/vite.config.ts` proxies the API to a local server for development.
export default defineConfig({
  root: uiRoot,
  plugins: [react()],
  build: { outDir: `${uiRoot}../dist/ui`, emptyOutDir: true },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } },
  },
});
