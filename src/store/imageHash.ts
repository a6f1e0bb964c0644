import { createHash } from 'node:crypto'

/** The id of stored bytes [IMG4]: lower-case hex SHA-256. */
export function imageHashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}
