import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'

// Our entries live in src-main/electron and src-renderer instead of electron-vite's src/* defaults.
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          // The ingest worker thread runs this file next to index.js (see src-main/ingest/worker-pool.ts).
          'ingest-worker': resolve(__dirname, 'src-main/ingest/ingest.worker.ts'),
          // The WMS map-drawing threads (see src-main/ows/wms/render.pool.ts).
          'render-worker': resolve(__dirname, 'src-main/ows/wms/render.worker.ts')
        }
      }
    }
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    build: { rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } } },
    plugins: [vue()]
  }
})
