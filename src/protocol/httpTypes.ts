import type { ErrorCode } from './errorCodes.js'
import type { CanvasObject } from './objects.js'
import type { MemberRole, Role } from './roles.js'

/**
 * The HTTP API's response bodies (contract "Accounts and sessions", "Canvases"; docs/protocol.md):
 * what the routes send and the web app reads, typed once. Types only. Errors have their own shape,
 * `{"error":{"code","message","field"?}}` (ErrorBody).
 */

/** A signed-in account as the API shows it: never the password hash or the session. */
export interface User {
  id: string
  email: string
  username: string
}

/** A canvas as the caller sees it: `role` is the caller's own. */
export interface CanvasSummary {
  id: string
  name: string
  ownerId: string
  role: Role
  createdAt: string
  updatedAt: string
}

export interface Member {
  userId: string
  email: string
  username: string
  role: Role
}

/** POST /api/register (201), POST /api/login, GET /api/session. */
export interface UserBody {
  user: User
}

/** GET /api/session/current: the signed-in user, or null (200 either way). */
export interface CurrentSessionBody {
  user: User | null
}

/** A canvas in the list: where its log stands (thumbnails are cached by it) and when it was last edited. */
export interface CanvasListItem extends CanvasSummary {
  seq: number
  /** The last object operation, not a rename; `createdAt` before any. */
  editedAt: string
}

/** GET /api/canvases: the canvases the caller owns or that are shared with them, last edited first. */
export interface CanvasListBody {
  canvases: CanvasListItem[]
}

/** POST /api/canvases/:id/duplicate (201): the caller's new copy. */
export interface CanvasCopyBody {
  canvas: CanvasListItem
}

/** POST /api/canvases (201), GET and PATCH /api/canvases/:id. */
export interface CanvasBody {
  canvas: CanvasSummary
}

/** GET /api/canvases/:id/state: the canvas's objects at `seq`. */
export interface CanvasStateBody {
  canvasId: string
  seq: number
  objects: CanvasObject[]
}

/** GET /api/canvases/:id/members: the owner included. */
export interface MemberListBody {
  members: Member[]
}

/** POST /api/canvases/:id/members for someone already a member: 200, their role changed. */
export interface MemberBody {
  member: Member & { role: MemberRole }
}

/** An invitation to a canvas, as its owner sees it: by email, or a share link. */
export interface Invite {
  id: string
  canvasId: string
  kind: 'email' | 'link'
  email?: string
  role: MemberRole
  createdBy: string
  createdAt: string
  expiresAt: string | null
}

/**
 * POST /api/canvases/:id/members for anyone not yet a member: 201, the same answer whether the
 * email has an account or not; access follows when they accept or register.
 */
export interface InviteBody {
  invite: Invite
}

/** GET /api/canvases/:id/invites (owner): open email invitations and share links. */
export interface InviteListBody {
  invites: Invite[]
}

/** POST /api/canvases/:id/share-links (201): the token is shown this once; `path` joins with it. */
export interface ShareLinkBody {
  invite: Invite
  token: string
  path: string
}

/** An email invitation as its invitee sees it. */
export interface InvitationForMe {
  id: string
  role: MemberRole
  createdAt: string
  expiresAt: string | null
  canvas: { id: string; name: string }
  invitedBy: { username: string }
}

/** GET /api/invites: invitations addressed to the caller's email. */
export interface InvitationListBody {
  invites: InvitationForMe[]
}

/** Every 4xx and 5xx answer. `field` names the offending input, e.g. `body.email`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string }
}

/** An API key of the Triggers API as lists show it: never the key itself, which is shown once. */
export interface ApiKeySummary {
  keyId: string
  name: string
  /** `cck_` and 8 characters: how a key is told apart from the others. */
  prefix: string
  tier: 'free' | 'starter' | 'professional' | 'enterprise'
  createdAt: string
  lastUsedAt: string | null
}

/** GET /api/keys with a session: the caller's live keys. */
export interface ApiKeyListBody {
  keys: ApiKeySummary[]
}

/** POST /api/keys/generate (201): `apiKey` is shown this once; only its hash is stored. */
export interface NewApiKeyBody {
  apiKey: string
  keyId: string
  tier: ApiKeySummary['tier']
  prefix: string
  name: string
}

/** GET /api/auth/providers: how one may sign in here (docs/auth.md). */
export interface AuthProvidersBody {
  /** The OpenID Connect provider, when configured: its name for "Continue with …". */
  sso: { name: string } | null
  /** false: email/password registration and login are turned off. */
  passwordLogin: boolean
}

/** One sign-in identity linked to the caller's account. */
export interface LinkedIdentity {
  id: string
  issuer: string
  /** The email the provider reported when it was linked. */
  email: string | null
  createdAt: string
}

/** GET /api/identities. */
export interface IdentitiesBody {
  identities: LinkedIdentity[]
  /** Whether the account can sign in with a password (false when password login is off). */
  hasPassword: boolean
}

/** An image stored for a canvas (docs/editor.md "Images"). */
export interface ImageInfo {
  /** SHA-256 of the stored bytes: what an image object's `imageId` names. */
  id: string
  /** Where the canvas's members fetch it. */
  url: string
  type: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp'
  width: number
  height: number
  size: number
}

/** POST /api/canvases/:id/images. */
export interface ImageBody {
  image: ImageInfo
}
