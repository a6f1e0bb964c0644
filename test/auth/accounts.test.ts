import { describe, expect, it, onTestFinished } from 'vitest'
import { Accounts } from '../../src/auth/accounts.js'
import { LoginThrottle } from '../../src/auth/loginThrottle.js'
import { hashSessionToken } from '../../src/auth/sessionTokens.js'
import { AppError } from '../../src/protocol/appError.js'
import { migrate } from '../../src/sqlite/migrate.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { STORE_MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { testClock } from '../support/clock.js'
import { tempDir } from '../support/tempDir.js'
import { anyString } from '../support/matchers.js'

const SESSION_TIMEOUT_SEC = 600

/** Accounts over a real SQLite store, with a clock the test moves. */
function accounts() {
  const dir = tempDir()
  const db = openSqlite(dir.path)
  migrate(db, STORE_MIGRATIONS)
  onTestFinished(() => {
    db.close()
    dir.remove()
  })
  const clock = testClock()
  const store = new SqliteCanvasStore(db, clock.now)
  const subject = new Accounts(store, {
    sessionTimeoutSec: SESSION_TIMEOUT_SEC,
    now: clock.now,
    throttle: new LoginThrottle(clock.now),
  })
  return { accounts: subject, store, clock }
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err: unknown = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('Accounts', () => {
  it('when registering then the email is normalised, the username trimmed, and the session authenticates', async () => {
    const { accounts: a, clock } = accounts()
    const signedIn = await a.register({
      email: '  Mixed.Case@Example.TEST ',
      username: '  Ada  ',
      password: 'password1',
    })
    expect(signedIn.user).toStrictEqual({
      id: anyString(),
      email: 'mixed.case@example.test',
      username: 'Ada',
    })
    expect(await a.authenticate(signedIn.sessionId)).toStrictEqual({
      user: signedIn.user,
      sessionHash: hashSessionToken(signedIn.sessionId),
      expiresAt: clock.now() + SESSION_TIMEOUT_SEC * 1000,
    })
  })

  it('[A2] when the password is wrong or the email unknown then the same unauthorized error', async () => {
    const { accounts: a } = accounts()
    await a.register({ email: 'known@example.test', username: 'k', password: 'password1' })
    const wrong = await rejection(
      a.login({ email: 'known@example.test', password: 'password2' }, '192.0.2.1'),
    )
    const unknown = await rejection(
      a.login({ email: 'unknown@example.test', password: 'password1' }, '192.0.2.2'),
    )
    expect([wrong.code, wrong.message]).toEqual(['unauthorized', 'invalid email or password'])
    expect([unknown.code, unknown.message]).toEqual([wrong.code, wrong.message])
  })

  it('[A3] when logging in then a new session starts and the earlier one stays valid', async () => {
    const { accounts: a } = accounts()
    const registered = await a.register({ email: 'two@example.test', username: 't', password: 'password1' })
    const login = await a.login({ email: 'TWO@example.test', password: 'password1' }, '192.0.2.1')
    expect(login.sessionId).not.toBe(registered.sessionId)
    expect(await a.authenticate(login.sessionId)).toMatchObject({ user: registered.user })
    expect(await a.authenticate(registered.sessionId)).toMatchObject({ user: registered.user })
  })

  it('[A3] when the session reaches its timeout then it no longer authenticates', async () => {
    const { accounts: a, clock } = accounts()
    const { sessionId } = await a.register({
      email: 'exp@example.test',
      username: 'e',
      password: 'password1',
    })
    clock.advance(SESSION_TIMEOUT_SEC * 1000 - 1)
    expect(await a.authenticate(sessionId)).toMatchObject({ user: { email: 'exp@example.test' } })
    clock.advance(1)
    expect(await a.authenticate(sessionId)).toBeUndefined()
  })

  it('[A3] when logging out then the session is gone and revocation listeners hear its hash once', async () => {
    const { accounts: a } = accounts()
    const { sessionId } = await a.register({
      email: 'out@example.test',
      username: 'o',
      password: 'password1',
    })
    const heard: string[] = []
    const unsubscribe = a.onSessionRevoked((hash) => heard.push(hash))
    await a.logout(sessionId)
    expect(await a.authenticate(sessionId)).toBeUndefined()
    expect(heard).toEqual([hashSessionToken(sessionId)])
    unsubscribe()
    const other = await a.login({ email: 'out@example.test', password: 'password1' }, '192.0.2.1')
    await a.logout(other.sessionId)
    expect(heard).toHaveLength(1)
  })

  it.each([
    ['empty', ''],
    ['too short', 'abc'],
    ['SQL', "' OR '1'='1' --                            "],
    ['a session hash', hashSessionToken('x')],
  ])(
    'when the token is %s then authenticate answers undefined and logout does nothing',
    async (_case, token) => {
      const { accounts: a } = accounts()
      const heard: string[] = []
      a.onSessionRevoked((hash) => heard.push(hash))
      expect(await a.authenticate(token)).toBeUndefined()
      await a.logout(token)
      expect(heard).toEqual([])
    },
  )

  it('[ST1] when the email is registered twice in different case then conflict', async () => {
    const { accounts: a } = accounts()
    await a.register({ email: 'dup@example.test', username: 'a', password: 'password1' })
    const err = await rejection(
      a.register({ email: 'DUP@Example.test', username: 'b', password: 'password1' }),
    )
    expect(err.code).toBe('conflict')
  })

  it('[A2] when 5 logins failed from one address then the next is rate_limited with a retry time', async () => {
    const { accounts: a } = accounts()
    await a.register({ email: 'victim@example.test', username: 'v', password: 'password1' })
    for (let i = 0; i < 5; i++) {
      expect(
        (await rejection(a.login({ email: 'victim@example.test', password: `no${i}` }, '203.0.113.1'))).code,
      ).toBe('unauthorized')
    }
    const err = await rejection(
      a.login({ email: 'victim@example.test', password: 'password1' }, '203.0.113.1'),
    )
    expect(err.code).toBe('rate_limited')
    expect(err.retryAfterSec).toBe(60)
  })
})
