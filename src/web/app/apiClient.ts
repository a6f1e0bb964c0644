import type { AdminStatsBody } from '../../protocol/adminStats.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'
import type {
  ApiKeyListBody,
  AuthProvidersBody,
  CanvasBody,
  CanvasCopyBody,
  CanvasListBody,
  CurrentSessionBody,
  ErrorBody,
  IdentitiesBody,
  InvitationListBody,
  InviteBody,
  InviteListBody,
  MemberBody,
  MemberListBody,
  NewApiKeyBody,
  ShareLinkBody,
  UserBody,
} from '../../protocol/httpTypes.js'
import type { MemberRole } from '../../protocol/roles.js'

/**
 * The HTTP API as the web app uses it (contract "Accounts and sessions", "Canvases"). The session
 * is the HttpOnly `session` cookie: same-origin fetches carry it, and the browser adds the
 * Origin header the server requires on unsafe requests. The bodies' types are the server's
 * (protocol/httpTypes.ts).
 */

/** `network` when the server could not be reached at all. */
export type ApiErrorCode = ErrorCode | 'network'

export class ApiError extends Error {
  readonly status: number
  readonly code: ApiErrorCode
  /** The offending input without its `body.` prefix, e.g. `email`, when the server named one. */
  readonly field: string | undefined

  constructor(status: number, code: ApiErrorCode, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
  }
}

/** What an error answer may hold: a proxy or a crashed server may send anything. */
type UncheckedErrorBody = { [K in keyof ErrorBody]?: { [F in keyof ErrorBody['error']]?: unknown } }

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.')
  }
  if (response.status === 204) return undefined as T
  const parsed: unknown = await response.json().catch(() => undefined)
  if (response.ok) return parsed as T
  throw toApiError(response.status, parsed)
}

function toApiError(status: number, parsed: unknown): ApiError {
  const error = (parsed as UncheckedErrorBody | undefined)?.error
  const code = typeof error?.code === 'string' ? (error.code as ErrorCode) : 'internal'
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}.`
  const field = typeof error?.field === 'string' ? error.field.replace(/^body\./, '') : undefined
  return new ApiError(status, code, message, field)
}

export const api = {
  session: () => request<UserBody>('GET', '/api/session'),
  /** 200 with null when signed out: no failed request in the console on a signed-out load [ED-D6]. */
  currentSession: () => request<CurrentSessionBody>('GET', '/api/session/current'),
  register: (input: { email: string; username: string; password: string }) =>
    request<UserBody>('POST', '/api/register', input),
  login: (input: { email: string; password: string }) => request<UserBody>('POST', '/api/login', input),
  logout: () => request<undefined>('POST', '/api/logout'),
  /** Operators only (ADMIN_EMAILS); 404 for everyone else. */
  adminStats: () => request<AdminStatsBody>('GET', '/api/admin/stats'),

  listCanvases: () => request<CanvasListBody>('GET', '/api/canvases'),
  getCanvas: (id: string) => request<CanvasBody>('GET', `/api/canvases/${encodeURIComponent(id)}`),
  createCanvas: (name: string) => request<CanvasBody>('POST', '/api/canvases', { name }),
  renameCanvas: (id: string, name: string) =>
    request<CanvasBody>('PATCH', `/api/canvases/${encodeURIComponent(id)}`, { name }),
  deleteCanvas: (id: string) => request<undefined>('DELETE', `/api/canvases/${encodeURIComponent(id)}`),
  duplicateCanvas: (id: string) =>
    request<CanvasCopyBody>('POST', `/api/canvases/${encodeURIComponent(id)}/duplicate`, {}),

  listMembers: (id: string) =>
    request<MemberListBody>('GET', `/api/canvases/${encodeURIComponent(id)}/members`),
  /** An invitation for anyone not yet a member (the same answer whether they have an account); a role change for a member. */
  shareCanvas: (id: string, email: string, role: MemberRole) =>
    request<MemberBody | InviteBody>('POST', `/api/canvases/${encodeURIComponent(id)}/members`, {
      email,
      role,
    }),
  listInvites: (id: string) =>
    request<InviteListBody>('GET', `/api/canvases/${encodeURIComponent(id)}/invites`),
  createShareLink: (id: string, role: MemberRole, expiresInDays?: number) =>
    request<ShareLinkBody>('POST', `/api/canvases/${encodeURIComponent(id)}/share-links`, {
      role,
      ...(expiresInDays === undefined ? {} : { expiresInDays }),
    }),
  revokeInvite: (id: string, inviteId: string) =>
    request<undefined>(
      'DELETE',
      `/api/canvases/${encodeURIComponent(id)}/invites/${encodeURIComponent(inviteId)}`,
    ),
  myInvitations: () => request<InvitationListBody>('GET', '/api/invites'),
  acceptInvitation: (inviteId: string) =>
    request<CanvasBody>('POST', `/api/invites/${encodeURIComponent(inviteId)}/accept`),
  declineInvitation: (inviteId: string) =>
    request<undefined>('DELETE', `/api/invites/${encodeURIComponent(inviteId)}`),
  joinWithLink: (token: string) =>
    request<CanvasBody>('POST', `/api/share-links/${encodeURIComponent(token)}/accept`),
  listApiKeys: () => request<ApiKeyListBody>('GET', '/api/keys'),
  createApiKey: (name: string) => request<NewApiKeyBody>('POST', '/api/keys/generate', { name }),
  revokeApiKey: (keyId: string) => request<undefined>('DELETE', `/api/keys/${encodeURIComponent(keyId)}`),
  removeMember: (id: string, userId: string) =>
    request<undefined>(
      'DELETE',
      `/api/canvases/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`,
    ),
  // Single sign-on (docs/auth.md): the flow itself is full-page navigation to /auth/….
  authProviders: () => request<AuthProvidersBody>('GET', '/api/auth/providers'),
  identities: () => request<IdentitiesBody>('GET', '/api/identities'),
  unlinkIdentity: (id: string) => request<undefined>('DELETE', `/api/identities/${encodeURIComponent(id)}`),
}

/** A message fit to show a person, for any error a call may throw. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message.charAt(0).toUpperCase() + err.message.slice(1)
  return 'Something went wrong. Please try again.'
}
