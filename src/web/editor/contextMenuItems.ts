import type { CanvasObject } from '../../protocol/objects.js'
import { ALIGNMENTS, DISTRIBUTIONS, MIN_UNITS, type Alignment, type Distribution } from './alignDistribute.js'
import type { ZOrderMove } from './editorCommands.js'

/**
 * What the right-click menu offers [ED-S6], from what was clicked: the selection (with group,
 * arrange, lock and, for several, align), a locked shape (unlock it), or the empty canvas. Pure.
 */

export interface MenuCommands {
  cut: () => void
  copy: () => void
  paste: () => void
  duplicate: () => void
  remove: () => void
  group: () => void
  ungroup: () => void
  arrange: (move: ZOrderMove) => void
  setLocked: (objects: readonly CanvasObject[], locked: boolean) => void
  align: (how: Alignment) => void
  distribute: (how: Distribution) => void
  selectAll: () => void
}

export interface MenuItem {
  label: string
  /** The keys that do the same, shown beside it. */
  keys?: string
  run: () => void
  /** Starts a new section (a separator above it). */
  section?: boolean
}

export type MenuTarget =
  | { kind: 'canvas' }
  | { kind: 'selection'; selected: readonly CanvasObject[]; units: number; grouped: boolean }
  | { kind: 'locked'; object: CanvasObject }

const ALIGN_LABEL: Record<Alignment, string> = {
  left: 'Align left',
  center: 'Align centre',
  right: 'Align right',
  top: 'Align top',
  middle: 'Align middle',
  bottom: 'Align bottom',
}
const DISTRIBUTE_LABEL: Record<Distribution, string> = {
  horizontal: 'Distribute horizontally',
  vertical: 'Distribute vertically',
}

export function menuItems(target: MenuTarget, c: MenuCommands, mod: string): MenuItem[] {
  switch (target.kind) {
    case 'canvas':
      return [
        { label: 'Paste', keys: `${mod}+V`, run: c.paste },
        { label: 'Select all', keys: `${mod}+A`, run: c.selectAll },
      ]
    case 'locked':
      return [{ label: 'Unlock', run: () => c.setLocked([target.object], false) }]
    case 'selection': {
      const items: MenuItem[] = [
        { label: 'Cut', keys: `${mod}+X`, run: c.cut },
        { label: 'Copy', keys: `${mod}+C`, run: c.copy },
        { label: 'Paste', keys: `${mod}+V`, run: c.paste },
        { label: 'Duplicate', keys: `${mod}+D`, run: c.duplicate },
        { label: 'Delete', keys: 'Del', run: c.remove },
      ]
      if (target.units >= 2) items.push({ label: 'Group', keys: `${mod}+G`, run: c.group, section: true })
      if (target.grouped)
        items.push({ label: 'Ungroup', keys: `${mod}+Shift+G`, run: c.ungroup, section: target.units < 2 })
      items.push(
        { label: 'Bring forward', keys: `${mod}+]`, run: () => c.arrange('forward'), section: true },
        { label: 'Send backward', keys: `${mod}+[`, run: () => c.arrange('backward') },
        { label: 'Bring to front', keys: `${mod}+Shift+]`, run: () => c.arrange('front') },
        { label: 'Send to back', keys: `${mod}+Shift+[`, run: () => c.arrange('back') },
        {
          label: 'Lock',
          keys: `${mod}+Shift+L`,
          run: () => c.setLocked(target.selected, true),
          section: true,
        },
      )
      if (target.units >= MIN_UNITS.align)
        ALIGNMENTS.forEach((how, i) =>
          items.push({ label: ALIGN_LABEL[how], run: () => c.align(how), section: i === 0 }),
        )
      if (target.units >= MIN_UNITS.distribute)
        for (const how of DISTRIBUTIONS)
          items.push({ label: DISTRIBUTE_LABEL[how], run: () => c.distribute(how) })
      return items
    }
  }
}
