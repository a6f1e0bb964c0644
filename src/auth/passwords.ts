import { hash, verify, type Algorithm } from '@node-rs/argon2'

// OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1 [A1].
// Algorithm is a const enum that isolatedModules cannot inline: 2 is Argon2id.
export const ARGON2_OPTIONS = {
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 128

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS)
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    // A malformed stored hash must read as "wrong password", never as a 500 with details.
    return false
  }
}

/**
 * Verified when the email is unknown, so both answers take the same time and do not reveal
 * which accounts exist [A2].
 */
let dummyHash: Promise<string> | undefined
export function verifyAgainstDummy(password: string): Promise<boolean> {
  dummyHash ??= hashPassword('collabcanvas-timing-equaliser')
  return dummyHash.then((h) => verifyPassword(h, password)).then(() => false)
}
