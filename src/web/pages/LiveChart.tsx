import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface ChartSeries {
  label: string
  color: string
  /** How the latest value is written in the chart's summary line. */
  format: (value: number) => string
}

interface Props {
  title: string
  series: readonly ChartSeries[]
  /** Seconds since the epoch, one per point. */
  times: readonly number[]
  /** One array per series, aligned with `times`; null where an instance had nothing to report. */
  values: readonly (readonly (number | null)[])[]
  testId: string
}

const HEIGHT = 180

/**
 * One live time-series chart (uPlot: canvas rendering, cheap to redraw every 2 s). The chart is
 * made once; new points only call setData. A text line under it repeats the latest values, for
 * screen readers and tests.
 */
export function LiveChart({ title, series, times, values, testId }: Props) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)

  useEffect(() => {
    const element = host.current
    if (!element) return
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: HEIGHT,
        // The summary line below says the latest values; uPlot's hover legend would repeat it.
        legend: { show: false },
        scales: { x: { time: true } },
        axes: [{}, { size: 60 }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true }))],
      },
      [[], ...series.map(() => [])],
      element,
    )
    plot.current = chart
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }),
    )
    resize.observe(element)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = null
    }
  }, [series])

  useEffect(() => {
    plot.current?.setData([times as number[], ...(values as (number | null)[][])])
  }, [times, values])

  const latest = series.map((s, i) => {
    const value = values[i]?.at(-1)
    return `${s.label} ${value === null || value === undefined ? '–' : s.format(value)}`
  })
  return (
    <section className="admin-chart" data-testid={testId} data-points={times.length}>
      <h2>{title}</h2>
      <div ref={host} />
      <p className="admin-chart-latest" data-testid={`${testId}-latest`}>
        {latest.join(' · ')}
      </p>
    </section>
  )
}
