import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'

/** Real images made by sharp, for uploads in tests. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toBuffer()
}

export function solidImage(
  format: 'jpeg' | 'gif' | 'webp',
  width: number,
  height: number,
  rgb: [number, number, number],
): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .toFormat(format)
    .toBuffer()
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/**
 * A valid-looking PNG of a few hundred bytes whose header claims `width` × `height` pixels: a
 * decompression bomb's shape (decoding it would allocate width × height × 3 bytes).
 */
export function pngClaiming(width: number, height: number): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/**
 * A picture-like PNG for screenshots: a sky of `rgb` (its middle is that colour), a sun in the top
 * left corner and hills along the bottom fifth.
 */
export function picturePng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="${width}" height="${height}" fill="rgb(${rgb.join(',')})"/>
  <circle cx="${width * 0.15}" cy="${height * 0.2}" r="${Math.min(width, height) * 0.1}" fill="#ffd43b"/>
  <path d="M0 ${height} L0 ${height * 0.85} Q${width * 0.25} ${height * 0.75} ${width * 0.5} ${height * 0.85} T${width} ${height * 0.8} L${width} ${height} Z" fill="#2b8a3e"/>
</svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}
