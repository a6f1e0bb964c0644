import { initialsOf } from './initials.js'

interface Props {
  name: string
  color: string
  /** Adds a ring, e.g. for "you". */
  ring?: boolean
  size?: 'small' | 'medium'
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
