import { expect } from 'vitest'

// Vitest's asymmetric matchers are typed `any`; these give them the type they stand for, so
// expected objects stay typed (and lint-clean) without casts in every test.

export const anyString = (): string => expect.any(String) as string

export const stringMatching = (pattern: RegExp): string => expect.stringMatching(pattern) as string
