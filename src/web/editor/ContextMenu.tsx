import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react'
import type { MenuItem } from './contextMenuItems.js'

interface Props {
  /** Where it opens, in CSS px inside the stage box. */
  at: { x: number; y: number }
  items: readonly MenuItem[]
  onClose: () => void
}

/**
 * The right-click menu [ED-S6]: a WAI-ARIA menu. Focus starts on the first item; arrows, Home and
 * End move it; Enter or Space runs an item; Escape, Tab or a press outside closes it. Keys pressed
 * in it stay in it (the canvas shortcuts do not see them).
 */
export function ContextMenu({ at, items, onClose }: Props) {
  const ref = useRef<HTMLDivElement>(null)
  const [place, setPlace] = useState(at)

  // Kept inside the stage box: flipped left or up when it would overflow.
  useLayoutEffect(() => {
    const menu = ref.current
    const box = menu?.parentElement
    if (!menu || !box) return
    const x = at.x + menu.offsetWidth > box.clientWidth ? Math.max(0, at.x - menu.offsetWidth) : at.x
    const y = at.y + menu.offsetHeight > box.clientHeight ? Math.max(0, at.y - menu.offsetHeight) : at.y
    setPlace({ x, y })
  }, [at])

  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus()
    const onPress = (e: PointerEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose()
    }
    document.addEventListener('pointerdown', onPress, true)
    window.addEventListener('blur', onClose)
    return () => {
      document.removeEventListener('pointerdown', onPress, true)
      window.removeEventListener('blur', onClose)
    }
  }, [onClose])

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    e.stopPropagation()
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])]
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement)
    const focus = (i: number) => buttons[(i + buttons.length) % buttons.length]?.focus()
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault()
        return focus(index + 1)
      case 'ArrowUp':
        e.preventDefault()
        return focus(index - 1)
      case 'Home':
        e.preventDefault()
        return focus(0)
      case 'End':
        e.preventDefault()
        return focus(buttons.length - 1)
      case 'Escape':
      case 'Tab':
        e.preventDefault()
        return onClose()
    }
  }

  return (
    <div
      ref={ref}
      className="context-menu"
      role="menu"
      aria-label="Actions"
      data-testid="context-menu"
      style={{ left: place.x, top: place.y }}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      {items.map((item) => (
        <div key={item.label} role="none" className={item.section ? 'context-menu-section' : undefined}>
          <button
            type="button"
            role="menuitem"
            className="context-menu-item"
            onClick={() => {
              onClose()
              item.run()
            }}
          >
            <span>{item.label}</span>
            {item.keys && <kbd className="muted small">{item.keys}</kbd>}
          </button>
        </div>
      ))}
    </div>
  )
}
