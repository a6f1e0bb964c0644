/**
 * Baseline peer for `npm run bench:ws`: a raw `ws` relay. Every frame after auth goes, as is,
 * to every other socket of the same /ws/:canvasId — one frame per receiver, no parsing, no
 * storage, no batching. Its `ack` is echoed at once and is not durable (bench/peers/relayCommon.mjs).
 * It shows what one Node process moving frames costs here, the ceiling for a server that
 * sends one frame per message.
 *
 * Run: PORT=8090 HOST=127.0.0.1 node bench/peers/rawRelay.mjs   (started by bench/wsBench.mjs)
 */
import { TEXT, startRelay } from './relayCommon.mjs'

startRelay({
  name: 'raw-relay',
  onFrame(sender, data) {
    // The same Buffer for every receiver: encoded once.
    for (const ws of sender.room.sockets) if (ws !== sender) ws.send(data, TEXT)
  },
})
