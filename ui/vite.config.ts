import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const uiRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

// The built app lands in dist/ui, which the server serves at `/`.
// `vite --config ui/vite.config.ts` serves the app for development and proxies the API to a
// server started with `npm start` (port 4000).
export default defineConfig({
  root: uiRoot,
  plugins: [react()],
  build: { outDir: `${uiRoot}../dist/ui`, emptyOutDir: true },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:4000', ws: true } },
  },
});
