import type Konva from 'konva'
import type { PreviewObject } from '../../protocol/messages.js'

/**
 * Other users' drags in progress, drawn by the stage as copies (previewCopies.ts), never put in
 * the canvas state: no React render per tick, nothing stored [ED-L1].
 */
export type PreviewsByUser = ReadonlyMap<string, readonly PreviewObject[]>

/**
 * Where the stage reads previews from (the sync engine's snapshot): subscribed to by the stage
 * alone, so a preview tick re-renders neither the editor nor its panels.
 */
export interface PreviewSource {
  subscribe: (listener: () => void) => () => void
  get: () => PreviewsByUser
}

/** The latest place of each previewed object, whoever drags it; `skip` (mine, in hand) left out. */
export function previewedPlaces(
  previews: PreviewsByUser,
  skip: ReadonlySet<string>,
): Map<string, PreviewObject> {
  const places = new Map<string, PreviewObject>()
  for (const objects of previews.values()) for (const o of objects) if (!skip.has(o.id)) places.set(o.id, o)
  return places
}

/** A node's place as a preview sends it: whole-ish numbers keep the frames small. */
export function previewOf(node: Konva.Node): PreviewObject {
  const r = (n: number) => Math.round(n * 100) / 100
  const place: PreviewObject = { id: node.id(), x: r(node.x()), y: r(node.y()) }
  if (node.rotation() !== 0) place.rotation = r(node.rotation())
  if (node.scaleX() !== 1) place.scaleX = Math.round(node.scaleX() * 10_000) / 10_000
  if (node.scaleY() !== 1) place.scaleY = Math.round(node.scaleY() * 10_000) / 10_000
  return place
}
