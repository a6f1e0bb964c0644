import Anthropic from '@anthropic-ai/sdk'
import { PLAN_LIMITS, type Step } from '../planner/plan.js'
import { stepFromToolCall, TOOLS, ToolCallRejected } from './claudeTools.js'

/**
 * The Claude provider: asks a model (Haiku-class by default) to turn what the built-in planner
 * could not read into tool calls, and turns those into plan steps (claudeTools.ts checks each).
 * One deadline covers the whole call, retries and `retry-after` waits included: the SDK's own
 * timeout is per attempt and it honours long `retry-after`s, so the signal below is what keeps
 * the promise of an answer within seconds.
 */
export interface ClaudeOptions {
  apiKey: string
  model: string
  /** For tests: a local server speaking the Messages API. */
  baseURL?: string
  /** The whole call, retries included. */
  deadlineMs: number
  maxRetries: number
}

export const DEFAULT_MODEL = 'claude-haiku-4-5'
/** A model's answer is a handful of tool calls; anything larger is refused unread. */
export const MAX_RESPONSE_BYTES = 256 * 1024
const MAX_TOKENS = 1024

export interface ClaudeAnswer {
  steps: Step[]
  /** Tokens billed for the call, for the per-user daily budget. */
  tokens: number
}

export type ClaudeFailureKind =
  'timeout' | 'rate_limited' | 'unavailable' | 'invalid_answer' | 'nothing_understood'

export class ClaudeFailure extends Error {
  override name = 'ClaudeFailure'
  constructor(
    readonly kind: ClaudeFailureKind,
    message: string,
  ) {
    super(message)
  }
}

const SYSTEM_PROMPT = [
  'You turn a design request for CollabCanvas, a collaborative whiteboard, into tool calls.',
  'Call one tool per thing to create or edit, in the order the user asked; never answer in prose.',
  'Components are laid out and themed by the tools: only choose the tool and fill its options.',
  'Quoted words are labels. Colours are #rrggbb or a colour word; themes and sizes are the listed names.',
  'Edits act on the user\'s selection unless the request says all or names a type ("all text").',
  `Use at most ${PLAN_LIMITS.steps} tool calls.`,
].join('\n')

export class ClaudePlanner {
  private readonly client: Anthropic

  constructor(private readonly options: ClaudeOptions) {
    this.client = new Anthropic({
      apiKey: options.apiKey,
      ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
      maxRetries: options.maxRetries,
      timeout: options.deadlineMs,
      fetch: cappedFetch,
    })
  }

  /** Steps for `command`, or a ClaudeFailure saying why not (never a partial list). */
  async plan(command: string): Promise<ClaudeAnswer> {
    const deadline = AbortSignal.timeout(this.options.deadlineMs)
    let message: Anthropic.Message
    try {
      message = await this.client.messages.create(
        {
          model: this.options.model,
          max_tokens: MAX_TOKENS,
          // Cached: the tools and this prompt are the same for every command.
          system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
          tools: TOOLS as Anthropic.Tool[],
          tool_choice: { type: 'any' },
          messages: [{ role: 'user', content: command }],
        },
        { signal: deadline },
      )
    } catch (err) {
      throw failureOf(err, deadline)
    }
    return { steps: stepsOf(message), tokens: tokensOf(message) }
  }
}

function stepsOf(message: unknown): Step[] {
  const content = (message as { content?: unknown }).content
  if (!Array.isArray(content))
    throw new ClaudeFailure('invalid_answer', 'the AI answered in an unexpected shape')
  const calls = content.filter(
    (b): b is { type: 'tool_use'; name: unknown; input: unknown } => isObject(b) && b.type === 'tool_use',
  )
  if (calls.length === 0)
    throw new ClaudeFailure(
      'nothing_understood',
      'the AI did not find anything it can build or edit in this command',
    )
  if (calls.length > PLAN_LIMITS.steps) {
    throw new ClaudeFailure(
      'invalid_answer',
      `the AI answered with ${calls.length} steps; at most ${PLAN_LIMITS.steps} are allowed`,
    )
  }
  try {
    return calls.map((call) => {
      if (typeof call.name !== 'string') throw new ToolCallRejected('a tool call without a name')
      return stepFromToolCall(call.name, call.input)
    })
  } catch (err) {
    if (err instanceof ToolCallRejected)
      throw new ClaudeFailure('invalid_answer', `the AI's answer was refused: ${err.message}`)
    throw err
  }
}

function tokensOf(message: unknown): number {
  const usage = (message as { usage?: Record<string, unknown> }).usage
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0)
  return n(usage?.input_tokens) + n(usage?.output_tokens) + n(usage?.cache_creation_input_tokens)
}

function failureOf(err: unknown, deadline: AbortSignal): ClaudeFailure {
  if (
    deadline.aborted ||
    err instanceof Anthropic.APIConnectionTimeoutError ||
    err instanceof Anthropic.APIUserAbortError
  ) {
    return new ClaudeFailure('timeout', 'the AI did not answer in time')
  }
  if (err instanceof Anthropic.RateLimitError)
    return new ClaudeFailure('rate_limited', 'the AI service is busy (rate limited)')
  if (err instanceof ClaudeFailure) return err
  if (err instanceof Anthropic.APIError && err.status !== undefined && err.status >= 500) {
    return new ClaudeFailure('unavailable', `the AI service failed (${err.status})`)
  }
  if (err instanceof Anthropic.APIError && err.status === undefined) {
    // The SDK wraps what fetch threw (our size cap, a reset): no HTTP answer came.
    const cause = (err as { cause?: unknown }).cause
    if (cause instanceof ClaudeFailure) return cause
    return new ClaudeFailure('unavailable', 'the AI service could not be reached')
  }
  if (err instanceof Anthropic.APIError)
    return new ClaudeFailure('unavailable', `the AI service refused the request (${err.status})`)
  // A body that is not JSON, or any other surprise from the SDK: the answer is unusable.
  return new ClaudeFailure('invalid_answer', 'the AI answered with something that is not a valid message')
}

/** fetch, reading at most MAX_RESPONSE_BYTES of a body: an oversize answer is cut off, not buffered. */
async function cappedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  // Never a compressed answer: Node 20's Brotli decoder is not safe on untrusted input.
  const headers = new Headers(init?.headers)
  headers.set('accept-encoding', 'identity')
  const response = await fetch(input, { ...init, headers })
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel()
    throw new ClaudeFailure('invalid_answer', 'the AI answer is too large')
  }
  if (response.body === null) return response
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array }
    if (chunk.done || chunk.value === undefined) break
    const value = chunk.value
    size += value.byteLength
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel()
      throw new ClaudeFailure('invalid_answer', 'the AI answer is too large')
    }
    chunks.push(value)
  }
  return new Response(Buffer.concat(chunks), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}
