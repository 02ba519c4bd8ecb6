/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

interface Window {
  /** Present under the desktop shell (preload); absent when served to a browser. */
  mapshelf?: { baseUrl: string; token: string; version: string }
}
