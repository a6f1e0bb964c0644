import { useLayoutEffect, useRef, useState } from 'react'
import { OBJECT_LIMITS, type CanvasObject } from '../../protocol/objects.js'
import { DEFAULT_FONT_FAMILY, TEXT_LINE_HEIGHT } from './geometry.js'
import { MAX_TEXT_WIDTH, measureTextWidth } from './measureText.js'
import { SHAPE_FONT_SIZE, SHAPE_TEXT_COLOR, SHAPE_TEXT_PADDING } from './shapeText.js'
import { worldToScreen, type Viewport } from './viewport.js'

interface Props {
  object: CanvasObject
  viewport: Viewport
  /** Called once, with the final text, when editing ends (blur, Escape, Ctrl/Cmd+Enter). */
  onDone: (text: string) => void
  /** Words to start with instead of the object's (pasted text too long to save as is). */
  initialText?: string | undefined
}

/** In-place text editing: a textarea laid exactly over the Konva text it replaces while open. */
export function TextEditor({ object: o, viewport, onDone, initialText }: Props) {
  const [text, setText] = useState(initialText ?? o.text ?? '')
  const ref = useRef<HTMLTextAreaElement>(null)
  const done = useRef(false)
  const tooLong = textTooLong(text)
  // Inside a shape the words sit in its box, centred, as the shape draws them [ED-T1].
  const inShape = o.type !== 'text'
  const pad = inShape ? SHAPE_TEXT_PADDING : 0
  const at = worldToScreen(viewport, { x: (o.x ?? 0) + pad, y: (o.y ?? 0) + pad })
  const fontSize = (o.fontSize ?? (inShape ? SHAPE_FONT_SIZE : 24)) * viewport.scale
  // A text grows with the longest line as you type, like the text it becomes (see fitText).
  const width = inShape
    ? Math.max(1, (o.width ?? 0) - 2 * pad)
    : Math.max(o.width ?? 0, Math.min(MAX_TEXT_WIDTH, measureTextWidth(o, text) + 2))
  const boxHeight = inShape ? Math.max(1, (o.height ?? 0) - 2 * pad) * viewport.scale : 0
  const [textHeight, setTextHeight] = useState(0)

  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    el.style.height = '0px'
    el.style.height = `${el.scrollHeight}px`
    setTextHeight(el.scrollHeight)
  }, [text, fontSize])
  // Centred in the shape's box while it fits, like verticalAlign="middle" on the canvas.
  const top = inShape ? at.y + Math.max(0, (boxHeight - textHeight) / 2) : at.y

  useLayoutEffect(() => {
    ref.current?.focus()
    ref.current?.select()
  }, [])

  const finish = () => {
    if (done.current) return
    const value = ref.current?.value ?? text
    // Refused here, before any commit, and the text kept: the server would refuse it anyway, and
    // the user's words would be lost with a message in protocol wording [ED-D2].
    if (textTooLong(value) !== undefined) {
      setText(value)
      ref.current?.focus()
      return
    }
    done.current = true
    onDone(value)
  }

  return (
    <>
      <textarea
        ref={ref}
        className="text-editor"
        data-testid="text-editor"
        aria-label="Text"
        value={text}
        aria-invalid={tooLong === undefined ? undefined : true}
        aria-describedby={tooLong === undefined ? undefined : 'text-too-long'}
        spellCheck
        onChange={(e) => setText(e.target.value)}
        onBlur={finish}
        onKeyDown={(e) => {
          e.stopPropagation()
          if (e.key === 'Escape' || (e.key === 'Enter' && (e.metaKey || e.ctrlKey))) {
            e.preventDefault()
            finish()
          }
        }}
        style={{
          left: at.x,
          top,
          width: width * viewport.scale + 4,
          fontSize,
          lineHeight: TEXT_LINE_HEIGHT,
          fontFamily: o.fontFamily ?? DEFAULT_FONT_FAMILY,
          color: inShape ? SHAPE_TEXT_COLOR : (o.fill ?? '#1c2024'),
          textAlign: o.align ?? (inShape ? 'center' : 'left'),
          opacity: o.opacity ?? 1,
          transform: `rotate(${o.rotation ?? 0}deg)`,
        }}
      />
      {tooLong !== undefined && (
        <p
          className="text-too-long"
          id="text-too-long"
          role="alert"
          data-testid="text-too-long"
          style={{ left: at.x, top: Math.max(0, at.y - 36) }}
        >
          {tooLong}
        </p>
      )}
    </>
  )
}

/** A plain-words refusal when the text cannot be saved, undefined when it can. */
export function textTooLong(text: string): string | undefined {
  const limit = OBJECT_LIMITS.textLength
  if (text.length <= limit) return undefined
  const format = (n: number) => n.toLocaleString('en-US')
  return `This text is too long to save: ${format(text.length)} characters, and a text holds at most ${format(limit)}. Shorten it by ${format(text.length - limit)} to save it.`
}
