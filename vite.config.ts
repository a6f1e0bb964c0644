import react from '@vitejs/plugin-react'
import { defineConfig, type ProxyOptions } from 'vite'

// The web app is built into dist/web and served by the API server on the same origin.
// `vite` (dev) and `vite preview` proxy the API and the WebSocket to a running server at
// API_TARGET (default http://127.0.0.1:5000).
const apiTarget = process.env.API_TARGET ?? 'http://127.0.0.1:5000'

// The server refuses cookie requests and WebSocket upgrades from a foreign Origin (CSRF, CSWSH):
// through this local proxy the page's origin is Vite's, so present the API's own origin instead.
const toApi: ProxyOptions = {
  target: apiTarget,
  changeOrigin: true,
  configure: (proxy) => {
    proxy.on('proxyReq', (proxyReq) => proxyReq.setHeader('origin', new URL(apiTarget).origin))
  },
}
// Only these prefixes: no folder under src/web may be named api/ or ws/, or dev would proxy it.
const proxy: Record<string, ProxyOptions> = {
  '/api': toApi,
  '/ws': { ...toApi, ws: true, rewriteWsOrigin: true },
}

export default defineConfig({
  root: 'src/web',
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    // No source maps: served publicly, they would hand out the full sources (a finding of the
    // hardening review). Debug with `vite` (dev), which maps in memory.
    sourcemap: false,
    // React, react-konva and Konva together are about 500 kB minified (about 150 kB gzipped).
    chunkSizeWarningLimit: 800,
  },
  server: { proxy },
  preview: { proxy },
})
