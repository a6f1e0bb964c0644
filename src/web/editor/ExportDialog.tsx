import { useId, useState, type FormEvent } from 'react'
import type { CanvasObject } from '../../protocol/objects.js'
import { exportSvg } from '../canvas/exportSvg.js'
import { Dialog } from '../components/Dialog.js'
import { imageDataUrls } from './images/exportImages.js'
import { copyPngToClipboard, pngOfObjects } from './copyImage.js'
import { svgToPdf } from './exportPdf.js'
import { framesOf, scopedObjects, type ExportScope } from './exportScope.js'
import { MAX_PNG_SIDE, rasterize } from './rasterize.js'

interface Props {
  /** Whose images to embed (image objects name only a hash). */
  canvasId?: string
  open: boolean
  onClose: () => void
  canvasName: string
  /** Every object, in draw order. */
  sorted: readonly CanvasObject[]
  /** The selected objects, in draw order (empty: only the whole canvas can be exported). */
  selected: readonly CanvasObject[]
}

type Format = 'png' | 'svg' | 'pdf' | 'json'

/**
 * Export [ED-E1]: PNG, SVG or PDF [ED-E2] of the selection, a frame or the whole canvas, with a
 * background and padding choice and a scale for PNG, or the objects as JSON; or the picture
 * copied to the clipboard [ED-E3]. Everything happens in the browser from the state the editor
 * holds: the server is not asked.
 */
export function ExportDialog({ canvasId, open, onClose, canvasName, sorted, selected }: Props) {
  const id = useId()
  const [format, setFormat] = useState<Format>('png')
  const [scopeValue, setScopeValue] = useState('canvas')
  const [background, setBackground] = useState(true)
  const [padding, setPadding] = useState(16)
  const [scale, setScale] = useState(2)
  const [error, setError] = useState<string | undefined>()
  const [copied, setCopied] = useState(false)
  const frames = framesOf(sorted)
  const scope: ExportScope =
    scopeValue === 'selection'
      ? { kind: 'selection' }
      : scopeValue.startsWith('frame:')
        ? { kind: 'frame', id: scopeValue.slice('frame:'.length) }
        : { kind: 'canvas' }
  const { objects, area } = scopedObjects(sorted, selected, scope)

  const copyImage = async () => {
    setError(undefined)
    setCopied(false)
    const png = pngOfObjects(objects, area)
    if (!png) return setError('There is nothing to copy yet.')
    const result = await copyPngToClipboard(png)
    if (result.ok) setCopied(true)
    else setError(result.message)
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    const base = fileName(canvasName)
    if (format === 'json') {
      download(new Blob([JSON.stringify({ objects }, null, 2)], { type: 'application/json' }), `${base}.json`)
      return onClose()
    }
    const images = canvasId === undefined ? undefined : await imageDataUrls(canvasId, objects)
    const result = exportSvg(objects, {
      background: background ? '#ffffff' : undefined,
      padding,
      ...(images ? { images } : {}),
      ...(area ? { area } : {}),
    })
    if (!result) return setError('There is nothing to export yet.')
    const svgBlob = new Blob([result.svg], { type: 'image/svg+xml' })
    if (format === 'svg') {
      download(svgBlob, `${base}.svg`)
      return onClose()
    }
    if (format === 'pdf') {
      try {
        download(await svgToPdf(result.svg, result.bounds.width, result.bounds.height), `${base}.pdf`)
        return onClose()
      } catch {
        return setError('The browser could not make this PDF.')
      }
    }
    const side = Math.max(result.bounds.width, result.bounds.height) * scale
    if (side > MAX_PNG_SIDE)
      return setError(`At ${scale}× this image would be ${Math.round(side)} px wide; lower the scale.`)
    try {
      download(await rasterize(svgBlob, result.bounds.width, result.bounds.height, scale), `${base}.png`)
      onClose()
    } catch {
      setError('The browser could not draw this image.')
    }
  }

  return (
    <Dialog title="Export" open={open} onClose={onClose} testId="export-dialog">
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor={`${id}-format`}>Format</label>
          <select id={`${id}-format`} value={format} onChange={(e) => setFormat(e.target.value as Format)}>
            <option value="png">PNG image</option>
            <option value="svg">SVG image</option>
            <option value="pdf">PDF document</option>
            <option value="json">JSON (objects)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-scope`}>What</label>
          <select id={`${id}-scope`} value={scopeValue} onChange={(e) => setScopeValue(e.target.value)}>
            <option value="canvas">The whole canvas</option>
            <option value="selection" disabled={selected.length === 0}>
              The selection ({selected.length})
            </option>
            {frames.map((frame) => (
              <option key={frame.id} value={`frame:${frame.id}`}>
                Frame: {frame.name ?? frame.text ?? 'Untitled'}
              </option>
            ))}
          </select>
        </div>
        {format !== 'json' && (
          <>
            <label className="checkbox-field">
              <input type="checkbox" checked={background} onChange={(e) => setBackground(e.target.checked)} />
              White background
            </label>
            <div className="field">
              <label htmlFor={`${id}-padding`}>Padding (px)</label>
              <input
                id={`${id}-padding`}
                type="number"
                min={0}
                max={500}
                value={padding}
                onChange={(e) => setPadding(clamp(Number(e.target.value), 0, 500))}
              />
            </div>
          </>
        )}
        {format === 'png' && (
          <div className="field">
            <label htmlFor={`${id}-scale`}>Scale</label>
            <select id={`${id}-scale`} value={scale} onChange={(e) => setScale(Number(e.target.value))}>
              <option value={1}>1×</option>
              <option value={2}>2×</option>
              <option value={3}>3×</option>
            </select>
          </div>
        )}
        {error && (
          <p className="field-error" role="alert" data-testid="export-error">
            {error}
          </p>
        )}
        {copied && (
          <p className="muted small" role="status" data-testid="export-copied">
            Copied to the clipboard as an image.
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button" onClick={() => void copyImage()}>
            Copy as image
          </button>
          <button type="submit" className="button primary">
            Export
          </button>
        </div>
      </form>
    </Dialog>
  )
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo
}

/** A file name from the canvas name: letters, digits, spaces, dashes and dots only. */
function fileName(name: string): string {
  const safe = name
    .replace(/[^\p{L}\p{N} ._-]+/gu, '')
    .trim()
    .slice(0, 80)
  return safe === '' ? 'canvas' : safe
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  // The download has its own reference by now.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
