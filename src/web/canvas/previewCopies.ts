import type Konva from 'konva'
import type { PreviewObject } from '../../protocol/messages.js'

/**
 * Other users' drags in progress, drawn as copies in the stage's editing layer [ED-L1]. A
 * previewed object's node is hidden where it is (its layer redrawn once when the drag starts,
 * once when it ends) and a copy moves in the editing layer, which holds only the shapes in
 * flight and the selection's handles: a tick of five remote drags redraws a few shapes, not the
 * thousands sharing their object layers, and adds no canvas (each full-size canvas costs the
 * compositor on every frame). The copies live outside React, under React's own children of that
 * layer; the state is never touched.
 */
export class PreviewCopies {
  private readonly copies = new Map<string, { source: Konva.Node; copy: Konva.Node }>()

  constructor(private readonly layer: Konva.Layer) {}

  /**
   * Shows `places` (id → where its preview says) and ends the copies of ids no longer in it.
   * `nodeOf` finds an object's node (undefined: not drawn, e.g. culled). Returns the layers to
   * redraw: the preview layer, and object layers whose nodes were hidden or shown again.
   */
  show(
    places: ReadonlyMap<string, PreviewObject>,
    nodeOf: (id: string) => Konva.Node | undefined,
  ): Set<Konva.Layer> {
    const dirty = new Set<Konva.Layer>()
    const touch = (node: Konva.Node) => {
      const layer = node.getLayer()
      if (layer) dirty.add(layer)
    }
    for (const [id, { source, copy }] of this.copies) {
      const node = places.has(id) ? nodeOf(id) : undefined
      // Ended, or React re-created the node (it moved to another layer): back to the real one.
      if (node === source) continue
      this.end(id, source, copy)
      touch(source)
      dirty.add(this.layer)
    }
    for (const [id, p] of places) {
      let entry = this.copies.get(id)
      if (!entry) {
        const source = nodeOf(id)
        if (!source) continue
        const copy: Konva.Node = source.clone({ listening: false, visible: true }) as Konva.Node
        this.layer.add(copy as Konva.Group | Konva.Shape)
        // Under the layer's own shapes (the Transformer, a marquee): those stay on top.
        copy.moveToBottom()
        source.visible(false)
        touch(source)
        entry = { source, copy }
        this.copies.set(id, entry)
      }
      entry.copy.setAttrs({
        x: p.x,
        y: p.y,
        rotation: p.rotation ?? entry.source.rotation(),
        scaleX: p.scaleX ?? 1,
        scaleY: p.scaleY ?? 1,
      })
      dirty.add(this.layer)
    }
    return dirty
  }

  /** Ids shown as copies now. */
  get ids(): ReadonlySet<string> {
    return new Set(this.copies.keys())
  }

  private end(id: string, source: Konva.Node, copy: Konva.Node): void {
    copy.destroy()
    // A node React destroyed meanwhile has no layer: nothing to show again.
    if (source.getLayer()) source.visible(true)
    this.copies.delete(id)
  }
}
