import { expect } from 'vitest'
import type { ErrorCode } from '../../src/protocol/errorCodes.js'
import type { ApiResponse } from './apiClient.js'
import { anyString } from './matchers.js'

/**
 * The contract's error body, exactly: `{"error": {"code", "message"}}` plus `field` only when
 * one is named, and nothing else (no stack, no driver text).
 */
export function expectError(res: ApiResponse, status: number, code: ErrorCode, field?: string): void {
  expect(res.status, res.text).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  expect(res.body).toStrictEqual({
    error: { code, message: anyString(), ...(field !== undefined ? { field } : {}) },
  })
  expect(res.text).not.toMatch(/\bat .+:\d+:\d+|SQLITE|better-sqlite3/)
}
