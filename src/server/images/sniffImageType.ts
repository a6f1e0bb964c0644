/**
 * What an upload is, from its first bytes only: never from a file name or a Content-Type header,
 * which the sender chooses [IMG5]. The decoder (imageIntake.ts) then has to agree.
 */
export type SniffedType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'image/svg+xml'

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG = [0xff, 0xd8, 0xff]

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) =>
  prefix.every((b, i) => bytes[at + i] === b)
const ascii = (bytes: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...bytes.subarray(from, to))

// An SVG document: optional BOM, whitespace, XML declaration, comments and doctype, then <svg.
// Read from the first 4 KiB only, so a huge prologue is not an SVG.
const SVG_START =
  /^\uFEFF?\s*(?:<\?xml[^>]{0,300}\?>\s*)?(?:(?:<!--[\s\S]{0,2000}?-->|<!DOCTYPE\s+svg[^>[]{0,300}>)\s*)*<svg[\s>/]/i

export function sniffImageType(bytes: Uint8Array): SniffedType | undefined {
  if (startsWith(bytes, PNG)) return 'image/png'
  if (startsWith(bytes, JPEG)) return 'image/jpeg'
  const head6 = ascii(bytes, 0, 6)
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return 'image/gif'
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp'
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 4096))
  if (SVG_START.test(text)) return 'image/svg+xml'
  return undefined
}
