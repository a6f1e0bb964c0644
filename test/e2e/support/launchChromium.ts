import fs from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/**
 * Debian's Chromium, never a downloaded browser build: `CHROME_PATH` or /usr/bin/chromium.
 * The flags keep it quiet and on loopback (no component updates, sync, QUIC or background
 * fetches) and work as root in a container (no sandbox, no GPU: software rendering). They live in
 * chromiumArgs.json, which bench/webFrames.mjs reads too.
 */
export const CHROMIUM_ARGS = JSON.parse(
  fs.readFileSync(new URL('./chromiumArgs.json', import.meta.url), 'utf8'),
) as readonly string[]

/** The browser to drive; fails, saying how to get it, when it is missing (tests never skip). */
export function chromiumPath(): string {
  const path = process.env.CHROME_PATH ?? '/usr/bin/chromium'
  if (!fs.existsSync(path)) {
    throw new Error(`Chromium not found at ${path} : apt-get install -y chromium (or set CHROME_PATH)`)
  }
  return path
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] })
}
