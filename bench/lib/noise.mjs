/**
 * Measuring on a shared machine: other people's builds and tests use the same 2 cores and are
 * invisible from here except in /proc/stat. Before a measured run, wait (bounded) for the
 * machine to be quiet; after it, if everything else used more than `maxOthers` % of a core
 * during the run, discard it and run again (at most `retries` times; the last attempt is kept
 * and marked noisy). Every result records what happened.
 *
 * Not run directly; used by bench/httpHealth.mjs and bench/wsBench.mjs.
 */
import { waitForQuiet } from './proc.mjs'

export const NOISE_FLAGS = {
  'quiet-wait': { type: 'string', default: '30' },
  'quiet-below': { type: 'string', default: '20' },
  'max-others': { type: 'string', default: '25' },
  'noisy-retries': { type: 'string', default: '2' },
}

export function noisePolicy(flags) {
  const n = (name) => {
    const v = Number(flags[name])
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number ≥ 0, got "${flags[name]}"`)
    return v
  }
  return {
    quiet: { timeoutSeconds: n('quiet-wait'), maxBusyPercent: n('quiet-below') },
    maxOthers: n('max-others'),
    retries: n('noisy-retries'),
  }
}

/**
 * Runs `measure()` under the policy. `othersOf(result)` gives the % of a core the rest of the
 * machine used during the run (undefined: not applicable, never retried).
 */
export async function measureQuietly(measure, policy, othersOf, log = () => {}) {
  const discarded = []
  for (let attempt = 0; ; attempt++) {
    const quietGate = await waitForQuiet(policy.quiet)
    const result = await measure()
    const others = othersOf(result)
    const noisy = typeof others === 'number' && others > policy.maxOthers
    if (!noisy || attempt >= policy.retries)
      return { ...result, noise: { quietGate, noisy, discardedRunsOthersPercent: discarded } }
    discarded.push(others)
    log(`the rest of the machine used ${others} % of a core during that run: discarded, running it again`)
  }
}
