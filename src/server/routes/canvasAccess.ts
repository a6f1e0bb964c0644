import type { FastifyRequest } from 'fastify'
import type { Accounts } from '../../auth/accounts.js'
import { can } from '../../core/permissions.js'
import { AppError, forbidden, notFound } from '../../protocol/appError.js'
import type { CanvasStore } from '../../store/canvasStore.js'
import { requireAuth } from '../plugins/authentication.js'
import { ROUTE_ACCESS, routeKey } from './accessPolicy.js'

/**
 * The canvas as the caller sees it, checked against the route's row in ROUTE_ACCESS: 404 when
 * missing or not shared, 403 when seen but not allowed. `targetUserId` is the user the route
 * acts on, for rows that let anyone do it to themselves.
 */
export function canvasAccess(accounts: Accounts, store: CanvasStore) {
  return async (request: FastifyRequest, canvasId: string, targetUserId?: string) => {
    const key = routeKey(request.method, request.routeOptions.url ?? '')
    const access = ROUTE_ACCESS[key]
    if (access?.kind !== 'canvas') throw new AppError('internal', `no canvas access policy for ${key}`)
    const { user } = await requireAuth(request, accounts)
    const canvas = await store.getCanvasForUser(canvasId, user.id)
    if (!canvas) throw notFound('canvas')
    const self = access.orSelf === true && targetUserId === user.id
    if (!can(canvas.role, access.action) && !self) {
      const article = /^[aeiou]/.test(canvas.role) ? 'an' : 'a'
      throw forbidden(`${article} ${canvas.role} cannot ${access.action.replace('-', ' ')} this canvas`)
    }
    return { user, canvas }
  }
}
