interface Props {
  name: string
  color: string
  /** Adds a ring, e.g. for "you". */
  ring?: boolean
  size?: 'small' | 'medium'
}

export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const first = words[0] ?? '?'
  const second = words[1]
  return (second ? first.charAt(0) + second.charAt(0) : first.slice(0, 2)).toUpperCase()
}

export function Avatar({ name, color, ring = false, size = 'medium' }: Props) {
  return (
    <span
      className={`avatar avatar-${size}${ring ? ' avatar-ring' : ''}`}
      style={{ backgroundColor: color }}
      aria-hidden="true"
    >
      {initialsOf(name)}
    </span>
  )
}
