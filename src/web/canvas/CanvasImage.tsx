import { useContext, useSyncExternalStore } from 'react'
import { Group, Image, Rect, Text } from 'react-konva'
import type { NewObject } from '../../protocol/objects.js'
import { imageAt, subscribeImage, type LoadedImage } from './imageCache.js'
import { ImageCanvasContext, imageUrlFor } from './imageUrlContext.js'

interface Props {
  object: NewObject
  /** The node props every shape shares (id, position, rotation, opacity, performance flags). */
  common: Record<string, unknown>
}

const PLACEHOLDER_STROKE = '#8b8d98'
const NOTHING: LoadedImage = { state: 'failed' }
const noSubscription = () => () => {}

/**
 * An image object: its stored picture stretched to the object's box, the same for everyone.
 * Until the picture arrives (or when it cannot be fetched) the box is drawn dashed, so the
 * object can still be selected, moved and deleted.
 */
export function CanvasImage({ object: o, common }: Props) {
  const canvasId = useContext(ImageCanvasContext)
  const url = imageUrlFor(canvasId, o.imageId)
  const loaded = useSyncExternalStore(
    url === undefined ? noSubscription : (listener) => subscribeImage(url, listener),
    () => (url === undefined ? NOTHING : imageAt(url)),
  )
  const width = o.width ?? 0
  const height = o.height ?? 0
  if (loaded.state === 'loaded') {
    return <Image {...common} image={loaded.image} width={width} height={height} name="image" />
  }
  return (
    <Group {...common} width={width} height={height}>
      <Rect
        width={width}
        height={height}
        stroke={PLACEHOLDER_STROKE}
        strokeWidth={1}
        dash={[6, 4]}
        fill="#f4f4f6"
      />
      <Text
        width={width}
        height={height}
        align="center"
        verticalAlign="middle"
        text={loaded.state === 'loading' ? 'Loading image…' : 'Image unavailable'}
        fill={PLACEHOLDER_STROKE}
        fontSize={Math.max(8, Math.min(16, width / 12))}
        listening={false}
      />
    </Group>
  )
}
