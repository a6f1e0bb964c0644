import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../support/tempDir.js'

// The compose `nginx` service runs deploy/nginx.conf through deploy/compose/nginx-entrypoint.sh,
// which points its marked upstream block at the compose instances. Rendered here as there, and
// checked with the real nginx (`nginx -t`).

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SCRIPT = path.join(ROOT, 'deploy/compose/nginx-entrypoint.sh')
const cleanups: (() => void)[] = []
afterEach(() => cleanups.splice(0).forEach((c) => c()))

function render(env: Record<string, string>, nginxArgs: string[]) {
  const prefix = tempDir('collabcanvas-compose-nginx-')
  cleanups.push(() => prefix.remove())
  // Output to a file, as a container's is to a pipe: the script links nginx's logs to
  // /dev/stdout and /dev/stderr, which cannot be opened when they are sockets (Node's default).
  const outFile = path.join(prefix.path, 'output.txt')
  const out = fs.openSync(outFile, 'w')
  const res = spawnSync('sh', [SCRIPT, ...nginxArgs], {
    stdio: ['ignore', out, out],
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/bin',
      NGINX_PREFIX: prefix.path,
      NGINX_CONF: path.join(ROOT, 'deploy/nginx.conf'),
      ...env,
    },
  })
  fs.closeSync(out)
  return {
    status: res.status,
    output: fs.readFileSync(outFile, 'utf8'),
    conf: fs.readFileSync(path.join(prefix.path, 'nginx.conf'), 'utf8'),
  }
}

const upstreamServers = (conf: string) => [...conf.matchAll(/^\s*server (\S+) max_fails/gm)].map((m) => m[1])

describe('compose nginx', () => {
  it('[OPS2] when the compose nginx entry point renders deploy/nginx.conf, then the upstream is app-1..3:5000 and nothing else changed', () => {
    // `-v` only prints the version: the render is what is checked (app-N resolve in compose only).
    const res = render({}, ['-v'])
    expect(res.status, res.output).toBe(0)
    expect(upstreamServers(res.conf)).toEqual(['app-1:5000', 'app-2:5000', 'app-3:5000'])
    const original = fs.readFileSync(path.join(ROOT, 'deploy/nginx.conf'), 'utf8')
    const outsideMarkers = (text: string) =>
      text.replace(/upstream-servers:begin[\s\S]*upstream-servers:end/, '')
    expect(outsideMarkers(res.conf)).toBe(outsideMarkers(original))
  })

  it('[OPS2] when the rendered configuration is tested by nginx (-t) with resolvable upstreams, then it is valid', () => {
    const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' })
    if (which.status !== 0) throw new Error('nginx is required: apt-get install -y nginx (.ci/run does)')
    const res = render({ UPSTREAM_SERVERS: '127.0.0.1:5001 127.0.0.1:5002 127.0.0.1:5003' }, ['-t'])
    expect(res.status, res.output).toBe(0)
    expect(res.output).toMatch(/test is successful/)
  })
})
