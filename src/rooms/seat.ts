import type { RoomClient, RoomMember } from './roomClient.js'

/**
 * A client in a room. Broadcasts reach it through here so that, while it is being sent what it
 * missed (resume), they wait in its outbox instead of overtaking [R1].
 */
export class Seat {
  outbox: Buffer[] | undefined
  constructor(
    readonly client: RoomClient,
    readonly member: RoomMember,
  ) {}

  deliver(frame: Buffer): void {
    if (this.outbox) this.outbox.push(frame)
    else this.client.deliver(frame)
  }
}
