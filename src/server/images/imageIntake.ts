import sharp, { type FormatEnum, type Metadata, type OutputInfo } from 'sharp'
import { AppError } from '../../protocol/appError.js'
import { imageHashOf } from '../../store/imageHash.js'
import type { StoredImageType } from '../../store/imageStore.js'
import type { ImageLimits } from '../config.js'
import { sniffImageType, type SniffedType } from './sniffImageType.js'

/** What the server keeps of an upload: the bytes to store, their id, type and natural size. */
export interface AcceptedImage {
  hash: string
  type: StoredImageType
  width: number
  height: number
  bytes: Buffer
}

/**
 * SVG is never stored as SVG: it is rendered to PNG here, so no script, event handler or
 * reference in it can ever reach a browser [IMG7]. Rendering allocates width × height × 4 bytes,
 * so a drawing is rendered at most this many pixels a side (scaled down to fit, never refused
 * for its declared size alone).
 */
export const SVG_RENDER_MAX_SIDE = 4_096
/** A rendering that takes longer is abandoned (a drawing built to be slow). */
const SVG_RENDER_TIMEOUT_SEC = 10

const DECODER_FORMAT: Readonly<Record<SniffedType, keyof FormatEnum>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
}

const UNSUPPORTED = () =>
  new AppError('unsupported_media_type', 'this file is not a PNG, JPEG, GIF, WebP or SVG image', {
    field: 'body',
  })

/**
 * Checks an upload and makes it storable [IMG5..IMG8]: the type from its content, the decoder's
 * header agreeing with it, its dimensions and pixel count within `limits` (read from the header
 * before anything is decoded, so a small file claiming 100,000 × 100,000 pixels allocates
 * nothing), and SVG rendered to PNG. Refusals are AppErrors in plain words.
 */
export async function intakeImage(bytes: Buffer, limits: ImageLimits): Promise<AcceptedImage> {
  if (bytes.length === 0) {
    throw new AppError('invalid_input', 'the upload is empty: send the image file as the request body', {
      field: 'body',
    })
  }
  if (bytes.length > limits.maxBytes) throw tooManyBytes(limits)
  const sniffed = sniffImageType(bytes)
  if (sniffed === undefined) throw UNSUPPORTED()
  // Entity declarations are how an XML "billion laughs" grows; no drawing needs them.
  if (sniffed === 'image/svg+xml' && /<!ENTITY/i.test(bytes.toString('utf8'))) throw UNSUPPORTED()
  const meta = await headerOf(bytes)
  if (meta.format !== DECODER_FORMAT[sniffed]) throw UNSUPPORTED()
  if (sniffed === 'image/svg+xml') return renderSvg(bytes, meta, limits)
  checkDimensions(meta, limits)
  // EXIF orientation: browsers draw the picture turned, so its natural size is the turned one.
  const { width, height } = meta.autoOrient
  return { hash: imageHashOf(bytes), type: sniffed, width, height, bytes }
}

export function tooManyBytes(limits: ImageLimits): AppError {
  return new AppError(
    'payload_too_large',
    `the image is larger than ${formatBytes(limits.maxBytes)}; upload a smaller one`,
    { field: 'body' },
  )
}

async function headerOf(bytes: Buffer): Promise<Metadata> {
  try {
    // metadata() reads the header only: no pixel is decoded, whatever size the header claims;
    // sharp's own pixel limit is off here so that checkDimensions refuses in plain words.
    return await sharp(bytes, { failOn: 'error', limitInputPixels: false }).metadata()
  } catch {
    throw new AppError('unsupported_media_type', 'this image is damaged or not in a format it claims', {
      field: 'body',
    })
  }
}

function checkDimensions(meta: Metadata, limits: ImageLimits): void {
  const { width, height } = meta
  const frames = meta.pages ?? 1
  const frameHeight = meta.pageHeight ?? height
  if (!(width > 0 && height > 0)) throw UNSUPPORTED()
  if (width > limits.maxSide || frameHeight > limits.maxSide) {
    throw new AppError(
      'payload_too_large',
      `the image is ${width} × ${frameHeight} pixels; at most ${limits.maxSide} pixels a side are allowed`,
      { field: 'body' },
    )
  }
  // Every frame of an animation is decoded by whoever shows it.
  if (width * frameHeight * frames > limits.maxPixels) {
    throw new AppError(
      'payload_too_large',
      `the image has ${formatPixels(width * frameHeight * frames)} pixels${frames > 1 ? ` over ${frames} frames` : ''}; at most ${formatPixels(limits.maxPixels)} are allowed`,
      { field: 'body' },
    )
  }
}

async function renderSvg(bytes: Buffer, meta: Metadata, limits: ImageLimits): Promise<AcceptedImage> {
  const { width, height } = meta
  if (!(width > 0 && height > 0)) throw UNSUPPORTED()
  const maxSide = Math.min(SVG_RENDER_MAX_SIDE, limits.maxSide)
  const scale = Math.min(1, maxSide / width, maxSide / height, Math.sqrt(limits.maxPixels / (width * height)))
  let png: { data: Buffer; info: OutputInfo }
  try {
    png = await sharp(bytes, {
      failOn: 'error',
      // librsvg renders at 72 dpi by default: scaling the density scales the drawing.
      density: Math.max(1, 72 * scale),
      limitInputPixels: limits.maxPixels,
    })
      .timeout({ seconds: SVG_RENDER_TIMEOUT_SEC })
      .png()
      .toBuffer({ resolveWithObject: true })
  } catch {
    throw new AppError('unsupported_media_type', 'this SVG drawing could not be rendered', { field: 'body' })
  }
  checkDimensions({ ...meta, width: png.info.width, height: png.info.height, pages: 1 }, limits)
  if (png.data.length > limits.maxBytes) throw tooManyBytes(limits)
  return {
    hash: imageHashOf(png.data),
    type: 'image/png',
    width: png.info.width,
    height: png.info.height,
    bytes: png.data,
  }
}

const formatBytes = (n: number) =>
  n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : `${Math.round(n / 1024)} KiB`
const formatPixels = (n: number) =>
  n >= 1e6 ? `${Math.round(n / 1e5) / 10} million` : n.toLocaleString('en')
