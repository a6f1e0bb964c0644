import { invalidInput } from '../../../protocol/appError.js'

/** Opaque to clients: the order it was made for and the position after which the next page starts. */
export function encodeCursor(order: 'asc' | 'desc', position: number): string {
  return Buffer.from(`${order}:${position}`).toString('base64url')
}

export function decodeCursor(cursor: string, order: 'asc' | 'desc'): number {
  const match = /^(asc|desc):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (!match) throw invalidInput('querystring.cursor', 'querystring.cursor is not a cursor this API gave out')
  if (match[1] !== order)
    throw invalidInput('querystring.cursor', `querystring.cursor was made for order=${match[1]}`)
  return Number(match[2])
}
