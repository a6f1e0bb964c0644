import fc from 'fast-check'
import {
  OBJECT_LIMITS,
  OBJECT_TYPES,
  type ObjectChanges,
  type NewObject,
} from '../../src/protocol/objects.js'

/** fast-check generators of valid wire values, shared by the protocol and room property tests. */

/** Fixed unless FC_SEED is set; every property prints it in its title and fast-check's failure report. */
export const FC_SEED = Number(process.env.FC_SEED ?? 20261128)

const C = OBJECT_LIMITS.coordinate
export const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
export const coordArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ min: -C, max: C, noNaN: true, noDefaultInfinity: true }),
)
export const colorArb = fc.oneof(
  fc.constantFrom(
    'red',
    'transparent',
    'rebeccapurple',
    '#fff',
    '#00ff0080',
    'rgb(1, 2, 3)',
    'hsl(1 2% 3% / .5)',
  ),
  fc.integer({ min: 0, max: 0xffffff }).map((n) => `#${n.toString(16).padStart(6, '0')}`),
)
const pointsArb = fc
  .array(fc.tuple(coordArb, coordArb), { maxLength: 20 })
  .map((pairs) => pairs.flatMap(([x, y]) => [x, y]))

/** Every settable property, each independently present or not. */
export function changesArb(
  parentIds: fc.Arbitrary<string | null> = fc.constant(null),
): fc.Arbitrary<ObjectChanges> {
  return fc.record(
    {
      x: coordArb,
      y: coordArb,
      width: coordArb,
      height: coordArb,
      rotation: coordArb,
      fill: colorArb,
      stroke: colorArb,
      strokeWidth: fc.double({ min: 0, max: 1000, noNaN: true }),
      opacity: fc.double({ min: 0, max: 1, noNaN: true }),
      text: fc.string({ maxLength: 50 }),
      fontSize: fc.integer({ min: 1, max: 1000 }),
      fontFamily: fc.constantFrom('Inter', 'serif'),
      align: fc.constantFrom('left' as const, 'center' as const, 'right' as const),
      points: pointsArb,
      zIndex: fc.integer({ min: -5, max: 5 }),
      parentId: parentIds,
      name: fc.string({ maxLength: 20 }),
      startId: fc.oneof(idArb, fc.constant(null)),
      endId: fc.oneof(idArb, fc.constant(null)),
      dash: fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { maxLength: 8 }),
      cornerRadius: fc.double({ min: 0, max: 1e6, noNaN: true }),
      arrowStart: fc.boolean(),
      arrowEnd: fc.boolean(),
      locked: fc.boolean(),
    },
    { requiredKeys: [] },
  )
}

export function newObjectArb(ids: fc.Arbitrary<string> = idArb): fc.Arbitrary<NewObject> {
  return fc
    .tuple(ids, fc.constantFrom(...OBJECT_TYPES), changesArb())
    .map(([id, type, props]) => ({ id, type, ...props }))
}
