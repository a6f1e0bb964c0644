import type { NewObject } from '../../protocol/objects.js'
import type { Component } from './draft.js'

/**
 * Canvas objects for a component placed at (x, y): a frame first, then its parts in drawing order
 * with the frame as parent. Canvas coordinates are absolute (a parent does not move its children's
 * origin), so parts are offset here. `newId` names each object; `zIndex` is where the frame goes.
 */
export function materialize(
  component: Component,
  x: number,
  y: number,
  zIndex: number,
  newId: () => string,
): NewObject[] {
  const frameId = newId()
  const objects: NewObject[] = [
    {
      id: frameId,
      type: 'frame',
      name: component.name,
      x,
      y,
      width: component.width,
      height: component.height,
      rotation: 0,
      fill: component.fill,
      stroke: component.stroke,
      strokeWidth: 1,
      zIndex,
      parentId: null,
    },
  ]
  component.parts.forEach((part, i) => {
    const { points, ...rest } = part
    const object: NewObject = {
      ...rest,
      id: newId(),
      x: x + part.x,
      y: y + part.y,
      rotation: 0,
      zIndex: zIndex + 1 + i,
      parentId: frameId,
    }
    if (points !== undefined) object.points = points
    objects.push(object)
  })
  return objects
}
