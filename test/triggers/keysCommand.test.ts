import { afterEach, describe, expect, it } from 'vitest'
import { migrateSqlite } from '../../src/server/deps.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { KEYS_USAGE, runKeysCommand } from '../../src/triggers/keysCommand.js'
import { SqliteTriggerStore } from '../../src/triggers/sqlite/sqliteTriggerStore.js'
import { runCli } from '../support/cli.js'
import { uniqueEmail } from '../support/fixtures.js'
import { tempDir } from '../support/tempDir.js'

// The operator's `collabcanvas keys set-tier`: its answers, and the built CLI's exit codes.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function storeWithKey() {
  const dir = tempDir()
  const db = openSqlite(dir.path)
  migrateSqlite(db)
  cleanups.push(
    () => dir.remove(),
    () => db.close(),
  )
  const email = uniqueEmail('keys')
  const user = await new SqliteCanvasStore(db, Date.now).createUser({
    email,
    username: email,
    passwordHash: 'x',
  })
  const store = new SqliteTriggerStore(db)
  const key = {
    keyId: 'key-1',
    userId: user.id,
    name: 'n',
    prefix: 'cck_abcd1234',
    hash: 'h',
    tier: 'free' as const,
    createdAt: 1,
  }
  await store.createKey(key)
  return { dir, db, store, key }
}

describe('collabcanvas keys', () => {
  it('when set-tier names a key by id or prefix, then its tier changes; an unknown key is 1, bad usage or tier 2', async () => {
    const { store } = await storeWithKey()
    expect(await runKeysCommand(store, ['set-tier', 'cck_abcd1234', 'professional'])).toEqual({
      code: 0,
      out: 'key key-1 (cck_abcd1234) is now professional',
    })
    expect((await runKeysCommand(store, ['set-tier', 'key-1', 'starter'])).code).toBe(0)
    expect((await store.listKeys((await store.findKeyByHash('h'))!.userId))[0]?.tier).toBe('starter')
    expect(await runKeysCommand(store, ['set-tier', 'cck_nothere', 'free'])).toEqual({
      code: 1,
      out: 'no API key with id or prefix "cck_nothere"',
    })
    expect(await runKeysCommand(store, ['set-tier', 'key-1', 'platinum'])).toEqual({
      code: 2,
      out: 'unknown tier "platinum": one of free, starter, professional, enterprise',
    })
    for (const args of [
      [],
      ['set-tier'],
      ['set-tier', 'key-1'],
      ['list'],
      ['set-tier', 'key-1', 'free', 'extra'],
    ]) {
      expect(await runKeysCommand(store, args)).toEqual({ code: 2, out: KEYS_USAGE })
    }
    expect((await store.findKeyByHash('h'))?.tier).toBe('starter')
  })

  it('when the built CLI runs set-tier, then it prints to stdout and exits 0, or prints to stderr and exits 1 or 2', async () => {
    const { dir, db } = await storeWithKey()
    db.close()
    const env = { DATA_DIR: dir.path, LOG_LEVEL: 'silent' }
    const ok = await runCli(['keys', 'set-tier', 'cck_abcd1234', 'enterprise'], env)
    expect([ok.code, ok.stdout.trim(), ok.stderr]).toEqual([
      0,
      'key key-1 (cck_abcd1234) is now enterprise',
      '',
    ])
    const missing = await runCli(['keys', 'set-tier', 'cck_nothere', 'free'], env)
    expect([missing.code, missing.stdout, missing.stderr.trim()]).toEqual([
      1,
      '',
      'no API key with id or prefix "cck_nothere"',
    ])
    const usage = await runCli(['keys', 'rotate'], env)
    expect([usage.code, usage.stderr.trim()]).toEqual([2, KEYS_USAGE])
  })
})
