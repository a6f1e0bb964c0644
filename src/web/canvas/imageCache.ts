/**
 * Pictures of image objects, loaded once per URL and shared by every shape that shows them.
 * The URL names a content hash, so a loaded picture never changes; the browser's own cache
 * (private, immutable) serves reloads.
 */
export type LoadedImage =
  { state: 'loading' } | { state: 'loaded'; image: HTMLImageElement } | { state: 'failed' }

const entries = new Map<string, LoadedImage>()
const listeners = new Map<string, Set<() => void>>()

function load(url: string): void {
  entries.set(url, { state: 'loading' })
  const image = new Image()
  image.decoding = 'async'
  image.onload = () => settle(url, { state: 'loaded', image })
  image.onerror = () => settle(url, { state: 'failed' })
  image.src = url
}

function settle(url: string, entry: LoadedImage): void {
  entries.set(url, entry)
  for (const listener of listeners.get(url) ?? []) listener()
}

/** The picture at `url` as it stands; starts loading it the first time it is asked for. */
export function imageAt(url: string): LoadedImage {
  const entry = entries.get(url)
  if (entry) return entry
  load(url)
  return entries.get(url) as LoadedImage
}

export function subscribeImage(url: string, listener: () => void): () => void {
  const set = listeners.get(url) ?? new Set()
  listeners.set(url, set)
  set.add(listener)
  return () => {
    set.delete(listener)
    if (set.size === 0) listeners.delete(url)
  }
}

/** Loads the picture (if it is not yet) and resolves when it has loaded or failed. */
export function whenImageSettles(url: string): Promise<LoadedImage> {
  const now = imageAt(url)
  if (now.state !== 'loading') return Promise.resolve(now)
  return new Promise((resolve) => {
    const stop = subscribeImage(url, () => {
      stop()
      resolve(imageAt(url))
    })
  })
}
