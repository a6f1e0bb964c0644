import type Konva from 'konva'
import type { PreviewObject } from '../../protocol/messages.js'
import type { CanvasObject } from '../../protocol/objects.js'

/**
 * Other users' drags in progress, applied straight to the Konva nodes (as a local drag moves
 * them), never to the canvas state: no React render per tick, nothing stored [ED-L1]. What a
 * preview stops covering goes back to where the state has it.
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

/**
 * Puts previewed nodes where their previews say, and the others back. Returns the layers that
 * changed: only those are redrawn (a full redraw of 2,000 shapes per tick drops frames).
 */
export function applyPreviews(
  places: ReadonlyMap<string, PreviewObject>,
  previous: ReadonlySet<string>,
  nodeOf: (id: string) => Konva.Node | undefined,
  objectOf: (id: string) => CanvasObject | undefined,
): Set<Konva.Layer> {
  const layers = new Set<Konva.Layer>()
  const moved = (node: Konva.Node) => {
    const layer = node.getLayer()
    if (layer) layers.add(layer)
  }
  for (const id of previous) {
    if (places.has(id)) continue
    const node = nodeOf(id)
    const o = objectOf(id)
    if (!node || !o) continue
    node.setAttrs({ x: o.x ?? 0, y: o.y ?? 0, rotation: o.rotation ?? 0, scaleX: 1, scaleY: 1 })
    moved(node)
  }
  for (const [id, p] of places) {
    const node = nodeOf(id)
    if (!node) continue
    node.setAttrs({
      x: p.x,
      y: p.y,
      rotation: p.rotation ?? node.rotation(),
      scaleX: p.scaleX ?? 1,
      scaleY: p.scaleY ?? 1,
    })
    moved(node)
  }
  return layers
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
