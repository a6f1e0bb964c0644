import { MemoryCanvasBus } from '../../src/log/memory/memoryCanvasBus.js'
import { registerCanvasBusContractTests } from '../contract/canvasBus.contract.js'

registerCanvasBusContractTests({
  name: 'memory',
  canMiss: false,
  create: () => {
    const bus = new MemoryCanvasBus()
    return Promise.resolve({ a: bus, b: bus, cleanup: () => bus.close() })
  },
})
