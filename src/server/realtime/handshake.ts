import type { Accounts } from '../../auth/accounts.js'
import { presenceColor } from '../../core/presenceColor.js'
import { CLOSE_CODES, type CloseCode } from '../../protocol/closeCodes.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'
import type { CanvasStore } from '../../store/canvasStore.js'
import type { Member } from './connection.js'

/** Who may join, or why not: the gateway acts on it (an error frame, then the close code). */
export type Handshake =
  { ok: true; member: Member } | { ok: false; code: ErrorCode; message: string; closeCode: CloseCode }

/**
 * The auth handshake of a socket: the session (token, or the cookie that came with the upgrade)
 * and the caller's access to the canvas. It reads and decides; it sends and closes nothing.
 */
export async function handshake(
  deps: { accounts: Accounts; store: CanvasStore },
  canvasId: string,
  token: string,
): Promise<Handshake> {
  const auth = await deps.accounts.authenticate(token)
  if (!auth) return refuse('unauthorized', 'invalid or expired session', CLOSE_CODES.unauthorized)
  const canvas = await deps.store.getCanvasForUser(canvasId, auth.user.id)
  if (!canvas) {
    return (await deps.store.canvasExists(canvasId))
      ? refuse('forbidden', 'canvas not shared with you', CLOSE_CODES.forbidden)
      : refuse('not_found', 'no such canvas', CLOSE_CODES.notFound)
  }
  return {
    ok: true,
    member: {
      userId: auth.user.id,
      username: auth.user.username,
      color: presenceColor(auth.user.id),
      role: canvas.role,
      sessionHash: auth.sessionHash,
      sessionExpiresAt: auth.expiresAt,
    },
  }
}

function refuse(code: ErrorCode, message: string, closeCode: CloseCode): Handshake {
  return { ok: false, code, message, closeCode }
}
