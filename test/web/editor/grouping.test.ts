import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import {
  expandToGroups,
  groupSelection,
  ungroupSelection,
  withEmptiedGroups,
} from '../../../src/web/editor/grouping.js'

// [ED-G1] Groups as pure data: a group object named by its members' parentId.

const at = '2026-01-01T00:00:00.000Z'
function obj(id: string, extra: Partial<CanvasObject> = {}): CanvasObject {
  return {
    id,
    type: 'rect',
    x: 0,
    y: 0,
    width: 10,
    height: 10,
    createdBy: 'u',
    updatedAt: at,
    version: 1,
    ...extra,
  }
}
const mapOf = (...objects: CanvasObject[]) => new Map(objects.map((o) => [o.id, o]))

describe('[ED-G1] grouping', () => {
  it('[ED-G1] when a member of a nested group is picked then every drawn object of the outermost group is selected', () => {
    const objects = mapOf(
      obj('outer', { type: 'group' }),
      obj('inner', { type: 'group', parentId: 'outer' }),
      obj('a', { parentId: 'inner' }),
      obj('b', { parentId: 'outer' }),
      obj('c'),
    )
    expect(expandToGroups(objects, ['a']).sort()).toEqual(['a', 'b'])
    expect(expandToGroups(objects, ['c'])).toEqual(['c'])
  })

  it('[ED-G1] when parent links form a cycle or point nowhere then picking still ends', () => {
    const objects = mapOf(
      obj('g1', { type: 'group', parentId: 'g2' }),
      obj('g2', { type: 'group', parentId: 'g1' }),
      obj('a', { parentId: 'g1' }),
      obj('lost', { parentId: 'missing' }),
    )
    expect(expandToGroups(objects, ['a'])).toEqual(['a'])
    expect(expandToGroups(objects, ['lost'])).toEqual(['lost'])
  })

  it('[ED-G1] when two loose shapes and a group are grouped then one group over the three units, bounded by the shapes', () => {
    const objects = mapOf(
      obj('g', { type: 'group' }),
      obj('a', { parentId: 'g', x: 0, y: 0 }),
      obj('b', { x: 100, y: 50, zIndex: 3 }),
    )
    const grouped = groupSelection(objects, [objects.get('a')!, objects.get('b')!])
    expect(grouped?.group).toMatchObject({ type: 'group', x: 0, y: 0, width: 110, height: 60, zIndex: 3 })
    expect(grouped?.changes).toEqual([
      ['g', { parentId: grouped?.group.id }],
      ['b', { parentId: grouped?.group.id }],
    ])
    expect(groupSelection(objects, [objects.get('b')!])).toBeUndefined()
  })

  it('[ED-G1] when a group is ungrouped then its members are loose and the group goes; deleting every member deletes the group', () => {
    const objects = mapOf(
      obj('g', { type: 'group' }),
      obj('a', { parentId: 'g' }),
      obj('b', { parentId: 'g' }),
    )
    expect(ungroupSelection(objects, [objects.get('a')!])).toEqual({
      changes: [
        ['a', { parentId: null }],
        ['b', { parentId: null }],
      ],
      deleted: ['g'],
    })
    expect(withEmptiedGroups(objects, ['a', 'b']).sort()).toEqual(['a', 'b', 'g'])
    expect(withEmptiedGroups(objects, ['a'])).toEqual(['a'])
  })
})
