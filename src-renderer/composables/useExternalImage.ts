import { computed, ref, watch } from 'vue'
import { serverUrl } from '../api'
import { isLocalUrl, webUrl } from '../web-urls'

/**
 * An image URL as the GUI shows it: a local image at once; one on another server only after the
 * user asks (`load`), since fetching it tells that server the page is viewed; any other scheme never.
 * `src` is what an `<img>` may load (null: show a placeholder); `waiting` says a click would load one.
 */
export function useExternalImage(source: () => unknown) {
  const url = computed(() => webUrl(source(), serverUrl))
  const requested = ref(false)
  const failed = ref(false)
  watch(url, () => {
    requested.value = false
    failed.value = false
  })
  const external = computed(() => url.value !== null && !isLocalUrl(url.value, serverUrl))
  return {
    src: computed(() => (url.value && !failed.value && (!external.value || requested.value) ? url.value.href : null)),
    waiting: computed(() => external.value && !requested.value),
    host: computed(() => url.value?.host ?? ''),
    load: () => void (requested.value = true),
    fail: () => void (failed.value = true)
  }
}
