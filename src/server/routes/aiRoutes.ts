import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import { planCommand } from '../../ai/aiCommands.js'
import { AiQuota, type QuotaState } from '../../ai/aiQuota.js'
import { ClaudePlanner } from '../../ai/claude/claudePlanner.js'
import { executePlan, PlanRefused } from '../../ai/executePlan.js'
import { PLAN_LIMITS } from '../../ai/planner/plan.js'
import { opFromMessage } from '../../core/room/opFromMessage.js'
import { AppError } from '../../protocol/appError.js'
import { isClientOpMessage, parseClientMessage } from '../../protocol/messages.js'
import { CoordinateSchema, IdSchema } from '../../protocol/objectSchemas.js'
import type { OpRequest } from '../../core/room/logEntry.js'
import type { RoomRegistry } from '../../rooms/roomRegistry.js'
import type { Deps } from '../deps.js'
import { requireAuth } from '../plugins/authentication.js'
import { canvasAccess } from './canvasAccess.js'
import { CanvasParams } from './canvasRoutes.js'

const AiBody = Type.Object(
  {
    command: Type.String({ minLength: 1, maxLength: PLAN_LIMITS.commandLength }),
    x: Type.Optional(CoordinateSchema),
    y: Type.Optional(CoordinateSchema),
    /** The caller's selected object ids: what edit commands act on. */
    selection: Type.Optional(Type.Array(IdSchema, { maxItems: 5_000 })),
    /** The part of the canvas the caller sees: where new things go. */
    viewport: Type.Optional(
      Type.Object(
        {
          x: CoordinateSchema,
          y: CoordinateSchema,
          width: Type.Number({ minimum: 1, maximum: 1e6 }),
          height: Type.Number({ minimum: 1, maximum: 1e6 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

/**
 * AI commands (docs/ai.md): `POST /api/canvases/:id/ai` plans a command (built-in planner, then
 * Claude for the rest when configured), builds and places what it makes, and submits every new
 * object through the room's one way in as one all-or-nothing batch [ROOM24]: each op is parsed
 * exactly as a WebSocket frame would be, so everyone with the canvas open sees the result at
 * once, within the canvas's budgets. Edits of existing objects are not stored: they come back as
 * a preview the user accepts in the editor (as ordinary ops, one undo step).
 */
export const aiRoutes =
  (deps: Deps, rooms: RoomRegistry): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, store, now, config } = deps
    const canvasFor = canvasAccess(accounts, store)
    // Counted in the deployment's shared limiter, so every instance sees one quota per user [AI8].
    const quota = new AiQuota(deps.rateLimiter, {
      commandsPerHour: config.ai.commandsPerHour,
      tokensPerDay: config.ai.tokensPerDay,
    })
    const claude =
      config.anthropicApiKey === undefined
        ? undefined
        : new ClaudePlanner({
            apiKey: config.anthropicApiKey,
            model: config.ai.model,
            ...(config.ai.baseUrl !== undefined ? { baseURL: config.ai.baseUrl } : {}),
            deadlineMs: config.ai.deadlineMs,
            maxRetries: 1,
          })

    const quotaHeaders = (state: QuotaState) => ({
      'x-ai-quota-limit': String(state.limit),
      'x-ai-quota-remaining': String(state.remaining),
    })

    app.get('/api/ai/quota', async (request, reply) => {
      const { user } = await requireAuth(request, accounts)
      const state = await quota.peek(user.id, now())
      return reply
        .headers({ 'cache-control': 'no-store' })
        .send({ quota: state, claude: claude !== undefined })
    })

    app.post(
      '/api/canvases/:id/ai',
      { schema: { params: CanvasParams, body: AiBody } },
      async (request, reply) => {
        const { user, canvas } = await canvasFor(request, request.params.id)
        const taken = await quota.take(user.id, now())
        reply.headers(quotaHeaders(taken.state))
        if (!taken.ok) {
          throw new AppError(
            'rate_limited',
            `at most ${taken.state.limit} AI commands an hour; try again later`,
            {
              retryAfterSec: taken.state.retryAfterSec,
            },
          )
        }
        const body = request.body
        const mayAskClaude = claude !== undefined && (await quota.hasTokens(user.id, now()))
        const answer = await planCommand(body.command, mayAskClaude ? claude : undefined)
        if (!answer.ok) {
          if (answer.kind === 'ai_failed') throw new AppError('ai_unavailable', answer.message)
          return reply.code(422).send({
            error: { code: 'unsupported_command', message: answer.message },
            suggestions: answer.suggestions,
            quota: taken.state,
          })
        }
        if (answer.tokens > 0) await quota.spendTokens(user.id, answer.tokens, now())

        const room = await rooms.acquire(canvas.id)
        let outcome
        try {
          outcome = executePlan(answer.plan, {
            objects: [...room.objects.values()],
            selection: body.selection ?? [],
            ...(body.viewport ? { viewport: body.viewport } : {}),
            ...(body.x !== undefined && body.y !== undefined ? { at: { x: body.x, y: body.y } } : {}),
            newId: randomUUID,
          })
        } catch (err) {
          if (err instanceof PlanRefused) {
            return reply.code(422).send({
              error: { code: 'unsupported_command', message: err.message },
              suggestions: [],
              quota: taken.state,
            })
          }
          throw err
        }

        let seq = room.seq
        if (outcome.creates.length > 0) {
          const requests = outcome.creates.map((object) => requestOf(object))
          const results = await room.submit({ userId: user.id, role: canvas.role }, requests, undefined, {
            allOrNothing: true,
          })
          const refused = results.find((r) => !r.ok)
          if (refused !== undefined && !refused.ok) throw new AppError(refused.code, refused.message)
          seq = results.reduce((max, r) => (r.ok ? Math.max(max, r.seq) : max), seq)
          deps.triggers.consumer?.wake()
        }
        return {
          objects: outcome.creates,
          summary: [outcome.summary, ...answer.notes].join('. '),
          ...(outcome.preview ? { preview: outcome.preview } : {}),
          source: answer.source,
          seq,
          quota: taken.state,
        }
      },
    )
  }

/** The op a created object stands for, checked by the WebSocket parser itself [PROTO1]. */
function requestOf(object: object): OpRequest {
  const parsed = parseClientMessage(JSON.stringify({ type: 'object-create', opId: randomUUID(), object }))
  // Builders and tool calls only ever make valid objects: a refusal here is a bug, not bad input.
  if (!parsed.ok) throw new AppError('internal', `an AI-made object was refused: ${parsed.message}`)
  if (!isClientOpMessage(parsed.message)) throw new AppError('internal', 'not an operation')
  return opFromMessage(parsed.message)
}
