/**
 * Reads an `strace -f -tt -xx -o file` trace and checks that every WebSocket ack a server wrote
 * was preceded by an fsync of the SQLite WAL that covers the op's commit [D3].
 *
 * Order is the order of lines in the trace. strace handles one stop at a time and writes each
 * line as it handles it, so when a call's return line comes before another call's entry line,
 * the first call had finished before the second one began to run, in any thread.
 */

export interface Syscall {
  /** The thread (strace -f prints the tid). */
  tid: number
  time: string
  name: string
  /** 0-based line of the call's start; also its return when it was not interrupted by another thread. */
  entry: number
  /** 0-based line of its return (the `<... resumed>` line when split). */
  exit: number
  /** The first argument when it is an integer (the fd of read/write-like calls). */
  fd: number | undefined
  /** Every string argument, decoded (the trace must use -xx). */
  strings: Buffer[]
  /** A string was cut at strace's -s limit. */
  truncated: boolean
  /** The return value; undefined for `?` (the process died inside the call). */
  ret: number | undefined
}

const LINE = /^(\d+)\s+(\d\d:\d\d:\d\d\.\d+)\s+(.*)$/
const RESUMED = /^<\.\.\. (\w+) resumed>(.*)$/
const UNFINISHED = ' <unfinished ...>'
const HEX_STRING = /"((?:\\x[0-9a-f]{2})*)"(\.\.\.)?/g

export function parseStrace(text: string): Syscall[] {
  const calls: Syscall[] = []
  const pending = new Map<number, { name: string; time: string; entry: number; body: string }>()
  const lines = text.split('\n')
  lines.forEach((line, index) => {
    const m = LINE.exec(line)
    if (!m) return
    const tid = Number(m[1])
    const time = m[2] as string
    const rest = m[3] as string
    if (rest.startsWith('+++') || rest.startsWith('---')) return
    const resumed = RESUMED.exec(rest)
    if (resumed) {
      const start = pending.get(tid)
      pending.delete(tid)
      if (start === undefined || start.name !== resumed[1]) return
      calls.push(toCall(tid, start.time, start.name, start.entry, index, start.body + (resumed[2] as string)))
      return
    }
    const open = rest.indexOf('(')
    if (open <= 0) return
    const name = rest.slice(0, open)
    if (rest.endsWith(UNFINISHED)) {
      pending.set(tid, { name, time, entry: index, body: rest.slice(open + 1, -UNFINISHED.length) })
      return
    }
    calls.push(toCall(tid, time, name, index, index, rest.slice(open + 1)))
  })
  return calls
}

function toCall(tid: number, time: string, name: string, entry: number, exit: number, body: string): Syscall {
  const strings: Buffer[] = []
  let truncated = false
  for (const s of body.matchAll(HEX_STRING)) {
    strings.push(Buffer.from((s[1] as string).replaceAll('\\x', ''), 'hex'))
    if (s[2] !== undefined) truncated = true
  }
  // `args) = ret`, with spaces before `=` when strace aligns short lines: `fsync(19)         = 0`.
  // Strings are hex, so ' = ' only ever appears before the return value.
  const end = body.lastIndexOf(' = ')
  const head = end >= 0 ? body.slice(0, end).trimEnd() : body
  const args = head.endsWith(')') ? head.slice(0, -1) : head
  const retText = end >= 0 ? (body.slice(end + 3).split(' ')[0] ?? '?') : '?'
  const fdMatch = /^(-?\d+)[,)]?/.exec(args)
  return {
    tid,
    time,
    name,
    entry,
    exit,
    fd: fdMatch ? Number(fdMatch[1]) : undefined,
    strings,
    truncated,
    ret: /^-?\d+$/.test(retText) ? Number(retText) : undefined,
  }
}

/** The bytes a write-like call actually wrote: its buffers joined, cut to its return value. */
export function writtenBytes(call: Syscall): Buffer {
  const all = Buffer.concat(call.strings)
  return call.ret !== undefined && call.ret >= 0 ? all.subarray(0, call.ret) : Buffer.alloc(0)
}

export interface AckInTrace {
  opId: string
  seq: number
  /** The write that carried the ack frame. */
  line: number
  time: string
  tid: number
}

export interface AckCheck extends AckInTrace {
  /** The WAL page write that first holds the op's row. */
  rowWriteLine: number | undefined
  /** The write of its transaction's commit frame: the fsync must start after this. */
  commitWriteLine: number | undefined
  /** The first WAL fsync that began after the commit frame and ended before the ack. */
  fsyncLine: number | undefined
  problem: string | undefined
}

export interface FsyncBeforeAckReport {
  walFds: number[]
  walWrites: number
  walFsyncs: number
  /** WAL fsyncs that covered at least one ack (group commit: fewer than acks). */
  coveringFsyncs: number
  acks: AckCheck[]
  violations: AckCheck[]
  /** WAL and socket writes whose buffers strace cut at -s: the check could miss what they held. */
  truncatedWrites: number
  /** Every path opened under the name, for diagnosing a missing WAL. */
  openedDbPaths: string[]
}

const WRITE_CALLS = new Set(['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2'])
const SOCKET_WRITE_CALLS = new Set(['write', 'writev', 'sendto', 'sendmsg'])
const SYNC_CALLS = new Set(['fsync', 'fdatasync'])
/** A flat JSON object whose type is ack: how acks look alone or inside a batch frame. */
const ACK_OBJECT = /\{[^{}]*"type":"ack"[^{}]*\}/g
/** SQLite writes each WAL frame as a 24-byte header, then the page. */
const WAL_FRAME_HEADER_BYTES = 24

interface WalWrite {
  call: Syscall
  bytes: Buffer
  /** For a frame header: the database size after commit, non-zero only on a commit frame. */
  commitSize: number | undefined
}

/**
 * Checks every ack frame written to a socket in the trace: the op's row reached the WAL, the
 * transaction's commit frame was written, and an fsync/fdatasync of the WAL (any fd on that file,
 * any thread) began after that write and returned before the ack was written. One fsync may
 * cover several acks (group commit). `opIdPattern` (global) finds the test's opIds in WAL pages.
 */
export function checkFsyncBeforeAck(
  calls: readonly Syscall[],
  options: { walPath: string; opIdPattern: RegExp },
): FsyncBeforeAckReport {
  // Replay fd lifetimes in trace order: an fd is the WAL's from its openat's return to its close.
  type Event = { line: number; kind: 'open' | 'close' | 'use'; call: Syscall }
  const events: Event[] = []
  for (const call of calls) {
    if (call.name === 'openat' || call.name === 'open') events.push({ line: call.exit, kind: 'open', call })
    else if (call.name === 'close') events.push({ line: call.entry, kind: 'close', call })
    else events.push({ line: call.entry, kind: 'use', call })
  }
  events.sort((a, b) => a.line - b.line)

  const walFds = new Set<number>()
  const everWal = new Set<number>()
  const openedDbPaths: string[] = []
  const walWritesByTid = new Map<number, WalWrite[]>()
  const fsyncs: Syscall[] = []
  const acks: AckInTrace[] = []
  const firstRowWrite = new Map<string, { tid: number; index: number }>()
  let truncatedWrites = 0

  for (const { kind, call } of events) {
    if (kind === 'open') {
      const path = call.strings[0]?.toString('utf8') ?? ''
      if (path.includes('canvas.db')) openedDbPaths.push(path)
      if (call.ret === undefined || call.ret < 0) continue
      if (path === options.walPath) {
        walFds.add(call.ret)
        everWal.add(call.ret)
      } else walFds.delete(call.ret)
      continue
    }
    if (kind === 'close') {
      if (call.fd !== undefined) walFds.delete(call.fd)
      continue
    }
    const fd = call.fd
    if (fd === undefined) continue
    if (walFds.has(fd)) {
      if (SYNC_CALLS.has(call.name) && call.ret === 0) fsyncs.push(call)
      if (WRITE_CALLS.has(call.name) && call.ret !== undefined && call.ret > 0) {
        if (call.truncated) truncatedWrites += 1
        const bytes = writtenBytes(call)
        const writes = walWritesByTid.get(call.tid) ?? []
        walWritesByTid.set(call.tid, writes)
        const commitSize = bytes.length === WAL_FRAME_HEADER_BYTES ? bytes.readUInt32BE(4) : undefined
        writes.push({ call, bytes, commitSize })
        for (const m of bytes.toString('latin1').matchAll(options.opIdPattern)) {
          if (!firstRowWrite.has(m[0])) firstRowWrite.set(m[0], { tid: call.tid, index: writes.length - 1 })
        }
      }
      continue
    }
    // Sockets and pipes; stdout and stderr carry the server's logs, never frames.
    if (fd > 2 && SOCKET_WRITE_CALLS.has(call.name) && call.ret !== undefined && call.ret > 0) {
      if (call.truncated) truncatedWrites += 1
      for (const m of writtenBytes(call).toString('utf8').matchAll(ACK_OBJECT)) {
        const ack = JSON.parse(m[0]) as { opId?: unknown; seq?: unknown }
        if (typeof ack.opId !== 'string' || typeof ack.seq !== 'number') continue
        acks.push({ opId: ack.opId, seq: ack.seq, line: call.entry, time: call.time, tid: call.tid })
      }
    }
  }

  const covering = new Set<number>()
  const checks = acks.map((ack): AckCheck => {
    const check: AckCheck = {
      ...ack,
      rowWriteLine: undefined,
      commitWriteLine: undefined,
      fsyncLine: undefined,
      problem: undefined,
    }
    const row = firstRowWrite.get(ack.opId)
    if (row === undefined) return { ...check, problem: 'no WAL write holds the op' }
    const writes = walWritesByTid.get(row.tid) as WalWrite[]
    check.rowWriteLine = writes[row.index]?.call.exit
    // The commit frame of the row's transaction: the first commit header from the row's own
    // frame header on, then that frame's page.
    let commit: WalWrite | undefined
    for (let i = Math.max(0, row.index - 1); i < writes.length; i++) {
      const w = writes[i] as WalWrite
      if (w.commitSize !== undefined && w.commitSize > 0) {
        commit = writes[i + 1]
        break
      }
    }
    if (commit === undefined) return { ...check, problem: 'no commit frame written after the op' }
    check.commitWriteLine = commit.call.exit
    if (commit.call.exit > ack.line) return { ...check, problem: 'ack written before the commit frame' }
    const fsync = fsyncs.find((f) => f.entry > commit.call.exit && f.exit < ack.line)
    if (fsync === undefined) {
      const lastBefore = fsyncs.filter((f) => f.exit < ack.line).at(-1)
      return {
        ...check,
        problem: `no WAL fsync between the commit frame (line ${commit.call.exit + 1}) and the ack (line ${
          ack.line + 1
        }); last WAL fsync before the ack: ${lastBefore ? `line ${lastBefore.entry + 1}` : 'none'}`,
      }
    }
    covering.add(fsync.entry)
    return { ...check, fsyncLine: fsync.exit }
  })

  return {
    walFds: [...everWal],
    walWrites: [...walWritesByTid.values()].reduce((n, w) => n + w.length, 0),
    walFsyncs: fsyncs.length,
    coveringFsyncs: covering.size,
    acks: checks,
    violations: checks.filter((c) => c.problem !== undefined),
    truncatedWrites,
    openedDbPaths,
  }
}
