import { useEffect, useMemo, useState } from 'react'
import type { AdminStatsBody } from '../../protocol/adminStats.js'
import { ApiError, api } from '../app/apiClient.js'
import { AppHeader } from './AppHeader.js'
import { LiveChart, type ChartSeries } from './LiveChart.js'
import { NotFoundPage } from './NotFoundPage.js'

/** The server publishes a sample every 2 s; poll at that pace. */
const POLL_MS = 2_000
/** Ten minutes of points. */
const HISTORY = 300

const count = (n: number) => n.toLocaleString('en', { maximumFractionDigits: 0 })
const rate = (n: number) => `${n.toLocaleString('en', { maximumFractionDigits: 1 })}/s`
const ms = (n: number) => `${n.toLocaleString('en', { maximumFractionDigits: 2 })} ms`
const MIB = 1024 * 1024
const mib = (n: number) => `${n.toFixed(0)} MiB`
const percent = (n: number) => `${n.toFixed(0)} %`

interface Chart {
  id: string
  title: string
  series: ChartSeries[]
  pick: (s: AdminStatsBody) => (number | null)[]
}

const CHARTS: readonly Chart[] = [
  {
    id: 'connections',
    title: 'Connections and rooms',
    series: [
      { label: 'Connections', color: '#3e63dd', format: count },
      { label: 'Rooms', color: '#30a46c', format: count },
    ],
    pick: (s) => [s.total.connections, s.total.rooms],
  },
  {
    id: 'messages',
    title: 'Messages per second',
    series: [
      { label: 'In', color: '#3e63dd', format: rate },
      { label: 'Out', color: '#e5484d', format: rate },
    ],
    pick: (s) => [s.total.messagesInPerSec, s.total.framesOutPerSec],
  },
  {
    id: 'ack-latency',
    title: 'Ack latency (receive to durable commit)',
    series: [
      { label: 'p50', color: '#30a46c', format: ms },
      { label: 'p95', color: '#ab6400', format: ms },
      { label: 'p99', color: '#e5484d', format: ms },
    ],
    pick: (s) => [s.total.ackMs?.p50 ?? null, s.total.ackMs?.p95 ?? null, s.total.ackMs?.p99 ?? null],
  },
  {
    id: 'fanout-latency',
    title: 'Fan-out latency',
    series: [
      { label: 'p50', color: '#30a46c', format: ms },
      { label: 'p99', color: '#e5484d', format: ms },
    ],
    pick: (s) => [s.total.fanOutMs?.p50 ?? null, s.total.fanOutMs?.p99 ?? null],
  },
  {
    id: 'queue',
    title: 'Triggers queue and webhooks',
    series: [
      { label: 'Pending events', color: '#3e63dd', format: count },
      { label: 'Webhooks pending', color: '#ab6400', format: count },
      { label: 'Webhooks failing', color: '#e5484d', format: count },
      { label: 'Dead letters', color: '#60646c', format: count },
    ],
    pick: (s) => [s.queue.pendingEvents, s.queue.webhookPending, s.queue.webhookFailing, s.queue.webhookDead],
  },
  {
    id: 'memory',
    title: 'Memory (MiB)',
    series: [
      { label: 'RSS', color: '#3e63dd', format: mib },
      { label: 'Heap used', color: '#30a46c', format: mib },
    ],
    pick: (s) => [s.total.rssBytes / MIB, s.total.heapUsedBytes / MIB],
  },
  {
    id: 'event-loop',
    title: 'Event loop (lag ms, busy %)',
    series: [
      { label: 'Lag p99', color: '#e5484d', format: ms },
      { label: 'Busy', color: '#3e63dd', format: percent },
    ],
    pick: (s) => [s.total.eventLoopLagP99Ms, s.total.eventLoopUtilization * 100],
  },
]

interface History {
  times: number[]
  /** Per chart, per series. */
  values: (number | null)[][][]
}

const emptyHistory = (): History => ({ times: [], values: CHARTS.map((c) => c.series.map(() => [])) })

function append(history: History, stats: AdminStatsBody): History {
  if (history.times.at(-1) === stats.at / 1000) return history
  const keep = <T,>(list: T[], item: T) => [...list, item].slice(-HISTORY)
  return {
    times: keep(history.times, stats.at / 1000),
    values: CHARTS.map((chart, c) => chart.pick(stats).map((v, i) => keep(history.values[c]?.[i] ?? [], v))),
  }
}

/**
 * /admin: live metrics for operators, from GET /api/admin/stats (every instance's latest sample,
 * summed). The server answers 404 to anyone else, page and endpoint alike.
 */
export function AdminPage() {
  const [history, setHistory] = useState<History>(emptyHistory)
  const [latest, setLatest] = useState<AdminStatsBody | undefined>()
  const [state, setState] = useState<'loading' | 'live' | 'not-found' | 'error'>('loading')

  useEffect(() => {
    let stopped = false
    let timer: number | undefined
    const poll = async () => {
      try {
        const stats = await api.adminStats()
        if (stopped) return
        setLatest(stats)
        setHistory((h) => append(h, stats))
        setState('live')
      } catch (err) {
        if (stopped) return
        if (err instanceof ApiError && err.status === 404) {
          setState('not-found')
          return
        }
        setState('error')
      }
      timer = window.setTimeout(() => void poll(), POLL_MS)
    }
    void poll()
    return () => {
      stopped = true
      window.clearTimeout(timer)
    }
  }, [])

  const charts = useMemo(
    () =>
      CHARTS.map((chart, c) => (
        <LiveChart
          key={chart.id}
          testId={`chart-${chart.id}`}
          title={chart.title}
          series={chart.series}
          times={history.times}
          values={history.values[c] ?? []}
        />
      )),
    [history],
  )

  if (state === 'not-found') return <NotFoundPage signedIn />
  return (
    <div className="admin-page">
      <AppHeader />
      <main className="admin-main" aria-busy={state === 'loading'}>
        <div className="admin-heading">
          <h1>Live metrics</h1>
          <p className="muted" data-testid="admin-status">
            {state === 'error'
              ? 'Cannot reach the server; retrying…'
              : latest
                ? `${latest.total.instances} instance${latest.total.instances === 1 ? '' : 's'} · updated ${new Date(latest.at).toLocaleTimeString()}`
                : 'Loading…'}
          </p>
        </div>
        <div className="admin-grid">{charts}</div>
        {latest && latest.instances.length > 0 && (
          <table className="admin-instances" data-testid="admin-instances">
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Connections</th>
                <th scope="col">Rooms</th>
                <th scope="col">In</th>
                <th scope="col">Out</th>
                <th scope="col">Ack p99</th>
                <th scope="col">Lag p99</th>
                <th scope="col">RSS</th>
              </tr>
            </thead>
            <tbody>
              {latest.instances.map((i) => (
                <tr key={i.instanceId}>
                  <td>{i.instanceId}</td>
                  <td>{count(i.connections)}</td>
                  <td>{count(i.rooms)}</td>
                  <td>{rate(i.messagesInPerSec)}</td>
                  <td>{rate(i.framesOutPerSec)}</td>
                  <td>{i.ackMs ? ms(i.ackMs.p99) : '–'}</td>
                  <td>{ms(i.eventLoopLagP99Ms)}</td>
                  <td>{mib(i.rssBytes / MIB)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </div>
  )
}
