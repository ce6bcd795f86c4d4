/**
 * Lazily rendered message fields with a small shared cache: history keeps only compact data
 * (BCS bytes, Move values) and renders the structured form on read; the most recently rendered
 * values are cached so the execute response and the checkpoint stream that follows it render
 * each transaction once.
 */
const CACHE_SIZE = 4096
const cache = new Map<object, Map<string, unknown>>()

const remember = (owner: object, prop: string, value: unknown): void => {
  let entry = cache.get(owner)
  if (!entry) {
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as object)
    entry = new Map()
    cache.set(owner, entry)
  }
  entry.set(prop, value)
}

/** Defines `owner[prop]` as a getter computing `render()` on read (cached for recent objects). */
export const defineLazy = <T extends object>(owner: T, prop: string, render: () => unknown): T => {
  Object.defineProperty(owner, prop, {
    enumerable: true,
    configurable: true,
    get: () => {
      const hit = cache.get(owner)?.get(prop)
      if (hit !== undefined) return hit
      const value = render()
      remember(owner, prop, value)
      return value
    }
  })
  return owner
}
