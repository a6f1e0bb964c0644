import { randomBytes } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { CanvasStore } from '../../src/store/canvasStore.js'
import { imageHashOf } from '../../src/store/imageHash.js'
import type { ImageStore, NewImage } from '../../src/store/imageStore.js'
import { testClock, TEST_EPOCH_MS } from '../support/clock.js'

/** An image store and the canvas store it shares a database with, fresh and empty. */
export interface ImageStoreHarness {
  images: ImageStore
  store: CanvasStore
  dispose(): Promise<void>
}

export interface ImageStoreImplementation {
  name: string
  create(options: { now: () => number }): Promise<ImageStoreHarness>
}

/** The guarantees of `ImageStore` (src/store/imageStore.ts), [IMG1]..[IMG4], per implementation. */
export function registerImageStoreContractTests(impl: ImageStoreImplementation): void {
  describe(`ImageStore contract: ${impl.name}`, () => {
    let n = 0
    async function setup() {
      const clock = testClock()
      const harness = await impl.create({ now: clock.now })
      onTestFinished(() => harness.dispose())
      const { store, images } = harness
      n += 1
      const owner = await store.createUser({
        email: `owner${n}@example.test`,
        username: `owner ${n}`,
        passwordHash: 'h',
      })
      const canvas = await store.createCanvas({ name: 'Board', ownerId: owner.id })
      const other = await store.createCanvas({ name: 'Other', ownerId: owner.id })
      const image = (bytes: Buffer = randomBytes(2_000)): NewImage => ({
        canvasId: canvas.id,
        hash: imageHashOf(bytes),
        type: 'image/png',
        width: 20,
        height: 10,
        bytes,
        createdBy: owner.id,
      })
      return { store, images, clock, owner, canvas, other, image }
    }

    it('[IMG2] when an image is stored, then get returns its exact bytes and metadata', async () => {
      const { images, canvas, owner, image } = await setup()
      const input = image()
      const meta = await images.put(input)
      expect(meta).toEqual({
        canvasId: canvas.id,
        hash: input.hash,
        type: 'image/png',
        width: 20,
        height: 10,
        size: 2_000,
        createdBy: owner.id,
        createdAt: new Date(TEST_EPOCH_MS).toISOString(),
      })
      const got = await images.get(canvas.id, input.hash)
      expect(got && Buffer.compare(got.bytes, input.bytes)).toBe(0)
      expect(got && { ...got, bytes: undefined }).toEqual({ ...meta, bytes: undefined })
    })

    it('[IMG2] when another canvas asks for the hash, then it has no such image', async () => {
      const { images, other, image } = await setup()
      const input = image()
      await images.put(input)
      expect(await images.get(other.id, input.hash)).toBeUndefined()
      expect(await images.get(input.canvasId, imageHashOf(Buffer.from('nothing')))).toBeUndefined()
    })

    it('[IMG1] when the same bytes are stored again, then the first row stays and is answered', async () => {
      const { images, clock, image, store } = await setup()
      const input = image()
      const first = await images.put(input)
      clock.advance(60_000)
      const someoneElse = await store.createUser({
        email: `second${n}@example.test`,
        username: `second ${n}`,
        passwordHash: 'h',
      })
      const second = await images.put({ ...input, createdBy: someoneElse.id })
      expect(second).toEqual(first)
    })

    it('[IMG1] when the same bytes go onto two canvases, then each canvas has its own row', async () => {
      const { images, other, image } = await setup()
      const input = image()
      await images.put(input)
      await images.put({ ...input, canvasId: other.id })
      expect((await images.get(other.id, input.hash))?.canvasId).toBe(other.id)
      expect((await images.get(input.canvasId, input.hash))?.canvasId).toBe(input.canvasId)
    })

    it('[IMG3] when the canvas is deleted, then its images are gone', async () => {
      const { images, store, canvas, other, image } = await setup()
      const input = image()
      await images.put(input)
      await images.put({ ...input, canvasId: other.id })
      await store.deleteCanvas(canvas.id)
      expect(await images.get(canvas.id, input.hash)).toBeUndefined()
      expect(await images.get(other.id, input.hash)).toBeDefined()
    })

    it('[IMG4] when the hash does not match the bytes, then nothing is stored', async () => {
      const { images, image } = await setup()
      const input = image()
      const forged = { ...input, hash: imageHashOf(Buffer.from('something else')) }
      await expect(images.put(forged)).rejects.toThrow(/hash/)
      expect(await images.get(input.canvasId, forged.hash)).toBeUndefined()
    })
  })
}
