import type { CanvasAction } from '../../core/permissions.js'
import type { ClientMessageType } from '../../protocol/clientMessageSchemas.js'

/**
 * Who may call what: every HTTP route and every WebSocket message type, in one table [Z1].
 * Canvas routes take their action from here (canvasRoutes.ts), and the Z1 test checks every
 * route the app registers and every message type against it for an owner, an editor, a viewer
 * and a stranger: a route or message type without a row fails that test.
 */
export type Access =
  /** Anyone, signed in or not. */
  | { kind: 'public' }
  /** Any session; the route acts on the caller's own account or canvases only. */
  | { kind: 'signed-in' }
  /**
   * A member of the canvas in the path: a non-member gets 404, exactly as for a missing canvas;
   * a member whose role lacks `action` gets 403. With `orSelf`, a member whose role lacks it
   * may still do it to themselves (leave a canvas).
   */
  | { kind: 'canvas'; action: CanvasAction; orSelf?: true }
  /**
   * An API key (X-API-Key or `Authorization: Bearer cck_…`), rate limited by its tier; the route
   * acts on the key owner's own events and webhooks only (another owner's id is 404). With
   * `orSession`, a signed-in session may call it too (without a rate limit).
   */
  | { kind: 'api-key'; orSession?: true }
  /**
   * An API key whose owner is a member of the canvas in the path: a non-member's key gets 404,
   * a key whose owner's role lacks `action` gets 403 (the Triggers API's canvas actions).
   */
  | { kind: 'api-key-canvas'; action: CanvasAction }
  /**
   * An operator: a session whose account's email is in ADMIN_EMAILS. Everyone else, anonymous
   * included, gets 404, as if the route did not exist (src/server/routes/adminRoutes.ts).
   */
  | { kind: 'operator' }

/** Keyed by `METHOD path` as registered; HEAD is answered by the GET route. */
export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'GET /health': { kind: 'public' },
  'GET /admin': { kind: 'operator' },
  'GET /api/admin/stats': { kind: 'operator' },
  // Counters and latencies only, no identifiers; scrapers carry no session.
  'GET /metrics': { kind: 'public' },
  'GET /': { kind: 'public' },
  'GET /*': { kind: 'public' },
  'POST /api/register': { kind: 'public' },
  'POST /api/login': { kind: 'public' },
  // Ends the session it is given, if any; without one it only clears the cookie.
  'POST /api/logout': { kind: 'public' },
  'GET /api/session': { kind: 'signed-in' },
  // Who the caller is, or null: the web app's page-load question [ED-D6].
  'GET /api/session/current': { kind: 'public' },
  'POST /api/canvases': { kind: 'signed-in' },
  'GET /api/canvases': { kind: 'signed-in' },
  'GET /api/canvases/:id': { kind: 'canvas', action: 'view' },
  'PATCH /api/canvases/:id': { kind: 'canvas', action: 'rename' },
  'DELETE /api/canvases/:id': { kind: 'canvas', action: 'delete' },
  'GET /api/canvases/:id/state': { kind: 'canvas', action: 'view' },
  'GET /api/canvases/:id/members': { kind: 'canvas', action: 'view' },
  // The canvas list's picture, and a copy owned by the caller: whoever may see the canvas [LIST1, LIST2].
  'GET /api/canvases/:id/thumbnail': { kind: 'canvas', action: 'view' },
  'POST /api/canvases/:id/duplicate': { kind: 'canvas', action: 'view' },
  'POST /api/canvases/:id/members': { kind: 'canvas', action: 'share' },
  'DELETE /api/canvases/:id/members/:userId': { kind: 'canvas', action: 'share', orSelf: true },
  'GET /api/canvases/:id/invites': { kind: 'canvas', action: 'share' },
  'POST /api/canvases/:id/share-links': { kind: 'canvas', action: 'share' },
  'DELETE /api/canvases/:id/invites/:inviteId': { kind: 'canvas', action: 'share' },
  // The caller's own invitations only: one addressed to another email is 404 [SHARE1].
  'GET /api/invites': { kind: 'signed-in' },
  'POST /api/invites/:inviteId/accept': { kind: 'signed-in' },
  'DELETE /api/invites/:inviteId': { kind: 'signed-in' },
  // The link's token is the capability: whoever holds it and is signed in may join.
  'POST /api/share-links/:token/accept': { kind: 'signed-in' },
  // The Triggers API (src/triggers, docs/triggers.md). Keys are made and revoked by their owner's
  // session; everything else takes a key.
  'POST /api/keys/generate': { kind: 'signed-in' },
  'GET /api/keys': { kind: 'api-key', orSession: true },
  'DELETE /api/keys/:id': { kind: 'signed-in' },
  'POST /api/events': { kind: 'api-key' },
  'GET /api/inbox': { kind: 'api-key' },
  'POST /api/ack/:id': { kind: 'api-key' },
  'GET /api/events/:id/deliveries': { kind: 'api-key' },
  'GET /api/queue/stats': { kind: 'api-key' },
  'POST /api/webhook/config': { kind: 'api-key' },
  'POST /api/webhooks': { kind: 'api-key' },
  'GET /api/webhooks': { kind: 'api-key' },
  'DELETE /api/webhooks/:id': { kind: 'api-key' },
  'POST /api/webhooks/:id/rotate-secret': { kind: 'api-key' },
  'POST /api/webhooks/:id/enable': { kind: 'api-key' },
  'POST /api/deliveries/:id/replay': { kind: 'api-key' },
  'POST /api/canvases/:id/objects': { kind: 'api-key-canvas', action: 'edit-objects' },
  'PATCH /api/canvases/:id/objects/:objectId': { kind: 'api-key-canvas', action: 'edit-objects' },
  'DELETE /api/canvases/:id/objects/:objectId': { kind: 'api-key-canvas', action: 'edit-objects' },
  // AI commands (docs/ai.md): they make objects, so viewers are refused; the quota is the caller's own.
  'POST /api/canvases/:id/ai': { kind: 'canvas', action: 'edit-objects' },
  'GET /api/ai/quota': { kind: 'signed-in' },
  // Images (docs/editor.md "Images"): uploading places something on the canvas, so viewers are
  // refused; fetching is for members only, a stranger gets 404 as for the canvas itself.
  'POST /api/canvases/:id/images': { kind: 'canvas', action: 'edit-objects' },
  'GET /api/canvases/:id/images/:imageId': { kind: 'canvas', action: 'view' },
  // OpenID Connect (src/server/routes/oidcRoutes.ts, docs/auth.md). The browser's steps of a
  // login are public: the transaction cookie, not a session, binds them [J2]. Without OIDC
  // configured the /auth/ routes answer 404.
  'GET /api/auth/providers': { kind: 'public' },
  'GET /auth/login': { kind: 'public' },
  'GET /auth/callback': { kind: 'public' },
  // Ends the session it is given, if any, as POST /api/logout does.
  'GET /auth/logout': { kind: 'public' },
  // Links to the caller's own account only, from the session that started it.
  'GET /auth/link': { kind: 'signed-in' },
  'GET /api/identities': { kind: 'signed-in' },
  // The caller's own identities only: another account's is 404.
  'DELETE /api/identities/:id': { kind: 'signed-in' },
}

export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`
}

/**
 * What a joined socket's role needs for each client message, as the gateway enforces it
 * (realtime/roomHost.ts and core/room/decideOp.ts call `can` with these actions). `auth` is the
 * handshake: it needs `view` of the canvas, and a non-member is closed with 4403 (the contract's
 * code, not 404). Typed by message type, so a new type does not compile without a row.
 */
export const MESSAGE_ACCESS: Readonly<Record<ClientMessageType, CanvasAction>> = {
  auth: 'view',
  ping: 'view',
  cursor: 'move-cursor',
  selection: 'move-cursor',
  // A drag in progress shows an edit before it is made: only those who may make it [PROTO18].
  preview: 'edit-objects',
  // Where a member looks is presence, like a cursor: viewers can be followed too [PROTO19].
  viewport: 'move-cursor',
  'object-create': 'edit-objects',
  'object-update': 'edit-objects',
  'object-delete': 'edit-objects',
}
