/**
 * WebSocket close codes beyond the standard ones: server and web app branch on them
 * (docs/protocol.md, "Close codes"). Codes are never renamed or reused.
 */
export const CLOSE_CODES = {
  /** Standard: the server is shutting down; resume elsewhere. */
  goingAway: 1001,
  /** Standard: policy violation (too many frames before joining). */
  policy: 1008,
  /** Standard: could not join (storage down); retry. */
  internalError: 1011,
  /** Sustained refused messages [W5]. */
  flood: 4008,
  /** The client read too slowly; resume with lastSeq [W4]. */
  slowConsumer: 4009,
  /** Too many sockets for this user [I1], or joins too fast (a reconnect loop); retry later. */
  tooManyConnections: 4029,
  /** Not signed in, bad token, or the session ended. */
  unauthorized: 4401,
  /** The canvas is not (or no longer) shared with this user. */
  forbidden: 4403,
  /** No such canvas. */
  notFound: 4404,
  /** The canvas was deleted while the socket was open. */
  canvasDeleted: 4410,
} as const

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES]

/** Close codes after which reconnecting cannot help: the client stops and says why. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.unauthorized,
  CLOSE_CODES.forbidden,
  CLOSE_CODES.notFound,
  CLOSE_CODES.canvasDeleted,
])
