import { isTier, TIERS } from './tiers.js'
import type { TriggerStore } from './triggerStore.js'

export const KEYS_USAGE = `usage: collabcanvas keys set-tier <keyId|prefix> <${TIERS.join('|')}>`

/**
 * The operator's `collabcanvas keys …` command, on the store of an open, migrated database. Returns the exit
 * code and the line to print; never touches process.* (main.ts does).
 */
export async function runKeysCommand(
  store: Pick<TriggerStore, 'setKeyTier'>,
  args: readonly string[],
): Promise<{ code: number; out: string }> {
  const [sub, keyIdOrPrefix, tier] = args
  if (sub !== 'set-tier' || keyIdOrPrefix === undefined || tier === undefined || args.length !== 3) {
    return { code: 2, out: KEYS_USAGE }
  }
  if (!isTier(tier)) return { code: 2, out: `unknown tier "${tier}": one of ${TIERS.join(', ')}` }
  const key = await store.setKeyTier(keyIdOrPrefix, tier)
  if (key === undefined) return { code: 1, out: `no API key with id or prefix "${keyIdOrPrefix}"` }
  return { code: 0, out: `key ${key.keyId} (${key.prefix}) is now ${key.tier}` }
}
