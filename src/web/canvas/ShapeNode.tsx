import Konva from 'konva'
import { memo } from 'react'
import { Arrow, Group, Line, Rect, Shape, Text } from 'react-konva'
import type { CanvasObject, NewObject } from '../../protocol/objects.js'
import { CanvasImage } from './CanvasImage.js'
import { clippedSceneFunc, groupClipFunc, ownSceneFunc } from './frameClip.js'
import { FRAME_STYLE } from './frames.js'
import { DEFAULT_FONT_FAMILY, TEXT_LINE_HEIGHT } from './geometry.js'
import { SHAPE_FONT_SIZE, SHAPE_TEXT_COLOR, SHAPE_TEXT_PADDING } from './shapeText.js'

interface Props {
  object: NewObject
  /** Hidden while its text is edited in place. */
  hidden: boolean
  /** The frame it lies in: its drawing is clipped to it [ED-S4]. */
  frame?: CanvasObject | undefined
}

const FRAME_NAME_FONT = '500 14px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
const FRAME_NAME_COLOR = '#60646c'

/** A frame: its box, and its name just above its top-left corner [ED-S4]. */
function drawFrame(context: Konva.Context, shape: Konva.Shape) {
  context.beginPath()
  context.rect(0, 0, shape.width(), shape.height())
  context.closePath()
  context.fillStrokeShape(shape)
  const name = shape.getAttr('frameName') as string | undefined
  if (!name) return
  context.setAttr('font', FRAME_NAME_FONT)
  context.setAttr('fillStyle', FRAME_NAME_COLOR)
  context.setAttr('textBaseline', 'bottom')
  context.fillText(name, 0, -6)
}

// An ellipse inscribed in (0, 0, width, height): x, y is the top-left corner and rotation turns
// about it, exactly as for rectangles, so the Transformer treats both alike.
function drawEllipse(context: Konva.Context, shape: Konva.Shape) {
  const rx = shape.width() / 2
  const ry = shape.height() / 2
  context.beginPath()
  context.ellipse(rx, ry, Math.abs(rx), Math.abs(ry), 0, 0, Math.PI * 2)
  context.closePath()
  context.fillStrokeShape(shape)
}

/**
 * One canvas object. Memoised on the object's identity: the engine's snapshots are immutable and
 * keep unchanged objects, so only shapes that changed re-render [performance].
 */
export const ShapeNode = memo(function ShapeNode({ object: o, hidden, frame }: Props) {
  /** A Konva class's own drawing, clipped to the frame when there is one. */
  const clip = (kind: Parameters<typeof ownSceneFunc>[0]) =>
    frame ? clippedSceneFunc(o, frame, ownSceneFunc(kind)) : undefined
  const stroke = o.stroke ?? 'transparent'
  const strokeWidth = o.strokeWidth ?? 0
  const common = {
    id: o.id,
    x: o.x ?? 0,
    y: o.y ?? 0,
    rotation: o.rotation ?? 0,
    opacity: o.opacity ?? 1,
    // A shape stays drawn while its words are edited; a text box gives way to the editor.
    visible: !(hidden && o.type === 'text'),
    // Konva performance tips: no extra pass for fill+stroke overlap, no stroke shadows.
    perfectDrawEnabled: false,
    shadowForStrokeEnabled: false,
  }
  // A rectangle or ellipse with words: a group of the shape and its label, moved, transformed and
  // previewed as one node (the group carries the id and the box). Without words it stays a
  // single node, as cheap as before [ED-T1].
  if ((o.type === 'rect' || o.type === 'ellipse') && (o.text ?? '') !== '') {
    const width = o.width ?? 0
    const height = o.height ?? 0
    const box = { fill: o.fill ?? 'transparent', stroke, strokeWidth, strokeEnabled: strokeWidth > 0 }
    return (
      <Group {...common} width={width} height={height} clipFunc={frame ? groupClipFunc(o, frame) : undefined}>
        {o.type === 'rect' ? (
          <Rect width={width} height={height} {...box} perfectDrawEnabled={false} />
        ) : (
          <Shape width={width} height={height} sceneFunc={drawEllipse} {...box} perfectDrawEnabled={false} />
        )}
        <Text
          name="label"
          visible={!hidden}
          x={SHAPE_TEXT_PADDING}
          y={SHAPE_TEXT_PADDING}
          width={Math.max(1, width - 2 * SHAPE_TEXT_PADDING)}
          height={Math.max(1, height - 2 * SHAPE_TEXT_PADDING)}
          text={o.text ?? ''}
          fontSize={o.fontSize ?? SHAPE_FONT_SIZE}
          fontFamily={o.fontFamily ?? DEFAULT_FONT_FAMILY}
          align={o.align ?? 'center'}
          verticalAlign="middle"
          lineHeight={TEXT_LINE_HEIGHT}
          fill={SHAPE_TEXT_COLOR}
          wrap="word"
          ellipsis
          perfectDrawEnabled={false}
        />
      </Group>
    )
  }
  switch (o.type) {
    case 'rect':
      return (
        <Rect
          {...common}
          width={o.width ?? 0}
          height={o.height ?? 0}
          cornerRadius={o.cornerRadius ?? 0}
          fill={o.fill ?? 'transparent'}
          stroke={stroke}
          strokeWidth={strokeWidth}
          strokeEnabled={strokeWidth > 0}
          dash={dashOf(o)}
          sceneFunc={clip(Konva.Rect)}
        />
      )
    case 'ellipse':
      return (
        <Shape
          {...common}
          width={o.width ?? 0}
          height={o.height ?? 0}
          sceneFunc={frame ? clippedSceneFunc(o, frame, drawEllipse) : drawEllipse}
          fill={o.fill ?? 'transparent'}
          stroke={stroke}
          strokeWidth={strokeWidth}
          strokeEnabled={strokeWidth > 0}
        />
      )
    case 'line':
    case 'path':
      return (
        <Line
          {...common}
          points={o.points ?? []}
          stroke={stroke}
          strokeWidth={Math.max(1, strokeWidth)}
          lineCap="round"
          lineJoin="round"
          tension={o.type === 'path' ? 0.4 : 0}
          dash={dashOf(o)}
          sceneFunc={clip(Konva.Line)}
          hitStrokeWidth={Math.max(12, strokeWidth)}
        />
      )
    case 'arrow':
      return (
        <Arrow
          {...common}
          points={o.points ?? []}
          stroke={stroke}
          fill={stroke}
          strokeWidth={Math.max(1, strokeWidth)}
          pointerAtBeginning={o.arrowStart ?? false}
          pointerAtEnding={o.arrowEnd ?? true}
          dash={dashOf(o)}
          pointerLength={Math.max(10, strokeWidth * 4)}
          pointerWidth={Math.max(10, strokeWidth * 4)}
          lineCap="round"
          lineJoin="round"
          hitStrokeWidth={Math.max(12, strokeWidth)}
          sceneFunc={clip(Konva.Arrow)}
        />
      )
    case 'text':
      return (
        <Text
          {...common}
          text={o.text ?? ''}
          width={o.width ?? 200}
          fontSize={o.fontSize ?? 24}
          fontFamily={o.fontFamily ?? DEFAULT_FONT_FAMILY}
          align={o.align ?? 'left'}
          lineHeight={TEXT_LINE_HEIGHT}
          fill={o.fill ?? '#1c2024'}
          wrap="word"
          sceneFunc={clip(Konva.Text)}
        />
      )
    case 'group':
      // A name for its members (parentId), drawn by them [ED-G1].
      return null
    case 'frame':
      return (
        <Shape
          {...common}
          width={o.width ?? 0}
          height={o.height ?? 0}
          sceneFunc={drawFrame}
          frameName={o.name ?? ''}
          fill={o.fill ?? FRAME_STYLE.fill}
          stroke={o.stroke ?? FRAME_STYLE.stroke}
          strokeWidth={Math.max(1, strokeWidth)}
        />
      )
    case 'image':
      return <CanvasImage object={o} common={common} />
  }
})

/** Dash and gap lengths are stored in stroke widths, so a thicker line keeps its pattern [ED-C1]. */
function dashOf(o: NewObject): number[] | undefined {
  if (!o.dash || o.dash.length === 0) return undefined
  const width = Math.max(1, o.strokeWidth ?? 1)
  return o.dash.map((d) => d * width)
}

interface ShapeListProps {
  sorted: readonly CanvasObject[]
  editingTextId: string | undefined
  /** child id → the frame clipping it (frames.ts frameIndex). */
  frames: ReadonlyMap<string, CanvasObject>
}

/** Re-renders when the objects or the edited text change, not on pan, zoom or selection. */
export const ShapeList = memo(function ShapeList({ sorted, editingTextId, frames }: ShapeListProps) {
  return sorted.map((o) => (
    <ShapeNode key={o.id} object={o} hidden={o.id === editingTextId} frame={frames.get(o.id)} />
  ))
})
