/**
 * Reporting helpers shared by the benches: the machine description, a text table for stdout,
 * JSON result files and a hand-rolled SVG bar chart.
 *
 * Not run directly; imported by bench/httpHealth.mjs and bench/wsBench.mjs.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results')

/** What the numbers were measured on, recorded with every result. */
export function machine() {
  const cpus = os.cpus()
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    // Other work on the machine skews every number: recorded so a noisy run can be spotted.
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
  }
}

/** Which code was measured: the commit, whether src/ differed from it, when dist/ was built. */
export function revision() {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
  const git = (...args) => {
    try {
      return execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim()
    } catch {
      return null
    }
  }
  const mainJs = path.join(root, 'dist', 'server', 'main.js')
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    srcChangedSinceCommit: (git('status', '--porcelain', '--', 'src') ?? '') !== '',
    distBuiltAt: existsSync(mainJs) ? statSync(mainJs).mtime.toISOString() : null,
  }
}

/** The command line as typed, for the record. */
export function commandLine() {
  const script = path.relative(process.cwd(), process.argv[1] ?? '')
  return ['node', script, ...process.argv.slice(2)].join(' ')
}

/** Writes a result file formatted as the repository's prettier would (it is checked in CI). */
export async function writeJson(fileName, data) {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, fileName)
  let text = `${JSON.stringify(data, null, 2)}\n`
  try {
    const prettier = await import('prettier')
    const options = (await prettier.resolveConfig(file)) ?? {}
    text = await prettier.format(text, { ...options, filepath: file })
  } catch {
    // prettier is a devDependency; without it the plain JSON is still valid.
  }
  writeFileSync(file, text)
  return file
}

/** A plain aligned text table; numbers right-aligned, null shown as "-". */
export function table(headers, rows) {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)))
  const line = (r, raw) =>
    r
      .map((c, i) =>
        typeof raw?.[i] === 'number' || raw?.[i] === null ? c.padStart(widths[i]) : c.padEnd(widths[i]),
      )
      .join('  ')
      .trimEnd()
  return [
    line(headers),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((r, i) => line(r, rows[i])),
  ].join('\n')
}

const escapeXml = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1']

function formatValue(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a'
  if (Math.abs(v) >= 10_000) return `${Math.round(v / 1000)}k`
  if (Math.abs(v) >= 100) return String(Math.round(v))
  return String(Math.round(v * 10) / 10)
}

/** 1, 2 or 5 × a power of ten, at least `raw`: readable axis steps. */
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p
}

/**
 * One panel of grouped bars: groups (e.g. targets) × series (e.g. p50/p95/p99).
 * `log` draws a log10 axis (for latencies spanning ms to seconds); `reference` draws a
 * dashed line (a target or the expected rate).
 */
function panel({ title, unit, groups, series, log = false, reference }, x0, y0, width, height) {
  const plotTop = y0 + 40
  const plotBottom = y0 + height - 40
  const plotLeft = x0 + 60
  const plotRight = x0 + width - 10
  const values = groups.flatMap((g) => g.values).filter((v) => Number.isFinite(v) && v > 0)
  if (reference) values.push(reference.value)
  const maxV = Math.max(1e-9, ...values)
  const minV = log ? Math.min(...values.filter((v) => v > 0), maxV) : 0
  const step = niceStep((maxV * 1.1) / 4)
  // Half a decade below the smallest value, so a bar near a power of ten is still visible.
  const lo = log ? Math.floor(Math.log10(minV / 3)) : 0
  const hi = log ? Math.ceil(Math.log10(maxV * 1.05)) : Math.ceil((maxV * 1.1) / step) * step
  const scale = (v) => {
    if (!Number.isFinite(v) || v <= 0) return plotBottom
    const t = log ? (Math.log10(v) - lo) / Math.max(1e-9, hi - lo) : v / hi
    return plotBottom - Math.min(1, Math.max(0, t)) * (plotBottom - plotTop)
  }
  const out = []
  out.push(
    `<text x="${x0 + width / 2}" y="${y0 + 20}" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
  )
  out.push(
    `<text x="${x0 + 12}" y="${(plotTop + plotBottom) / 2}" transform="rotate(-90 ${x0 + 12} ${(plotTop + plotBottom) / 2})" text-anchor="middle" font-size="11">${escapeXml(unit)}${log ? ' (log)' : ''}</text>`,
  )
  const ticks = log
    ? Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i))
    : Array.from({ length: Math.round(hi / step) + 1 }, (_, i) => i * step)
  for (const t of ticks) {
    const y = scale(t) || plotBottom
    out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="#ddd"/>`)
    out.push(
      `<text x="${plotLeft - 4}" y="${y + 4}" text-anchor="end" font-size="10">${formatValue(t)}</text>`,
    )
  }
  const groupWidth = (plotRight - plotLeft) / Math.max(1, groups.length)
  const barWidth = Math.min(40, (groupWidth * 0.8) / Math.max(1, series.length))
  groups.forEach((g, gi) => {
    const gx = plotLeft + gi * groupWidth + (groupWidth - barWidth * series.length) / 2
    g.values.forEach((v, si) => {
      const x = gx + si * barWidth
      const y = scale(v)
      out.push(
        `<rect x="${x}" y="${y}" width="${barWidth - 2}" height="${Math.max(0, plotBottom - y)}" fill="${PALETTE[si % PALETTE.length]}"/>`,
      )
      out.push(
        `<text x="${x + (barWidth - 2) / 2}" y="${y - 3}" text-anchor="middle" font-size="9">${formatValue(v)}</text>`,
      )
    })
    out.push(
      `<text x="${plotLeft + gi * groupWidth + groupWidth / 2}" y="${plotBottom + 15}" text-anchor="middle" font-size="11">${escapeXml(g.label)}</text>`,
    )
  })
  if (reference) {
    const y = scale(reference.value)
    out.push(
      `<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="5,4"/>`,
    )
    // Labelled above the plot, like a legend entry, so it never covers a bar's value.
    out.push(
      `<line x1="${plotRight - 150}" x2="${plotRight - 130}" y1="${plotTop - 12}" y2="${plotTop - 12}" stroke="#c00" stroke-dasharray="5,4"/>`,
    )
    out.push(
      `<text x="${plotRight - 126}" y="${plotTop - 8}" font-size="10" fill="#c00">${escapeXml(reference.label)}</text>`,
    )
  }
  if (series.length > 1) {
    let lx = plotLeft
    series.forEach((s, si) => {
      out.push(
        `<rect x="${lx}" y="${plotBottom + 24}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`,
      )
      out.push(`<text x="${lx + 14}" y="${plotBottom + 33}" font-size="10">${escapeXml(s)}</text>`)
      lx += 24 + String(s).length * 6
    })
  }
  out.push(`<line x1="${plotLeft}" x2="${plotLeft}" y1="${plotTop}" y2="${plotBottom}" stroke="#333"/>`)
  out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${plotBottom}" y2="${plotBottom}" stroke="#333"/>`)
  return out.join('\n')
}

/** Writes an SVG with the panels in rows of three under a title and subtitle; returns the file path. */
export function writeChart(fileName, { title, subtitle, panels }) {
  const panelWidth = 380
  const panelHeight = 320
  const perRow = Math.min(3, panels.length)
  const rows = Math.ceil(panels.length / perRow)
  const width = panelWidth * perRow
  const height = panelHeight * rows + 50
  const body = panels
    .map((p, i) =>
      panel(p, (i % perRow) * panelWidth, 40 + Math.floor(i / perRow) * panelHeight, panelWidth, panelHeight),
    )
    .join('\n')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>
<text x="${width / 2}" y="36" text-anchor="middle" font-size="11" fill="#555">${escapeXml(subtitle)}</text>
${body}
</svg>
`
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, fileName)
  writeFileSync(file, svg)
  return file
}
