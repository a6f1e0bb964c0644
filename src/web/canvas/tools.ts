/** The editor's tools, their shortcuts and names (contract "Web app"). */
export const TOOLS = ['select', 'rect', 'ellipse', 'line', 'arrow', 'text', 'pen', 'frame', 'sticky'] as const
export type Tool = (typeof TOOLS)[number]

export const TOOL_INFO: Record<Tool, { label: string; key: string }> = {
  select: { label: 'Select', key: 'V' },
  rect: { label: 'Rectangle', key: 'R' },
  ellipse: { label: 'Ellipse', key: 'O' },
  line: { label: 'Line', key: 'L' },
  arrow: { label: 'Arrow', key: 'A' },
  text: { label: 'Text', key: 'T' },
  pen: { label: 'Pen', key: 'P' },
  // [ED-S4], [ED-S7]: N as in tldraw and Miro; S is left free.
  frame: { label: 'Frame', key: 'F' },
  sticky: { label: 'Sticky note', key: 'N' },
}

export function toolForKey(key: string): Tool | undefined {
  const upper = key.toUpperCase()
  return TOOLS.find((t) => TOOL_INFO[t].key === upper)
}

/** Style applied to new objects, and shown in the style panel when nothing is selected. */
export interface StyleDefaults {
  fill: string
  stroke: string
  strokeWidth: number
  opacity: number
  fontSize: number
}

export const INITIAL_STYLE: StyleDefaults = {
  fill: '#dbe4ff',
  stroke: '#1c2024',
  strokeWidth: 2,
  opacity: 1,
  fontSize: 24,
}
