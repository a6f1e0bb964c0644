import type { ReactElement } from 'react'
import type { Tool } from '../canvas/tools.js'

const stroke = {
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.75,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const

function Icon({ children }: { children: ReactElement | ReactElement[] }) {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" {...stroke}>
      {children}
    </svg>
  )
}

export const TOOL_ICONS: Record<Tool, ReactElement> = {
  select: (
    <Icon>
      <path d="M5 3.5l13 7.2-6 1.6-3.1 5.9z" />
    </Icon>
  ),
  rect: (
    <Icon>
      <rect x="4" y="6" width="16" height="12" rx="1.5" />
    </Icon>
  ),
  ellipse: (
    <Icon>
      <ellipse cx="12" cy="12" rx="8.5" ry="6.5" />
    </Icon>
  ),
  line: (
    <Icon>
      <path d="M5 19L19 5" />
    </Icon>
  ),
  arrow: (
    <Icon>
      <path d="M5 19L19 5M10 5h9v9" />
    </Icon>
  ),
  text: (
    <Icon>
      <path d="M5 6V4.5h14V6M12 4.5v15M9 19.5h6" />
    </Icon>
  ),
  pen: (
    <Icon>
      <path d="M4 20c2.5-.3 3.7-1.5 5.5-4.2C11.8 12.4 13 9 16.2 5.8a2 2 0 0 1 2.9 2.9C16 12 12.5 13.2 9.5 15.6" />
    </Icon>
  ),
  frame: (
    <Icon>
      <path d="M8 3v18M16 3v18M3 8h18M3 16h18" />
    </Icon>
  ),
  sticky: (
    <Icon>
      <path d="M4.5 4.5h15v10l-5 5h-10z" />
      <path d="M19.5 14.5h-5v5M8 9h8M8 12.5h5" />
    </Icon>
  ),
}

export const UndoIcon = () => (
  <Icon>
    <path d="M9 14L4 9l5-5" />
    <path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11" />
  </Icon>
)

export const RedoIcon = () => (
  <Icon>
    <path d="M15 14l5-5-5-5" />
    <path d="M20 9H9.5a5.5 5.5 0 0 0 0 11H13" />
  </Icon>
)

export const HelpIcon = () => (
  <Icon>
    <circle cx="12" cy="12" r="9" />
    <path d="M9.6 9.3a2.5 2.5 0 0 1 4.8.9c0 1.7-2.4 2.2-2.4 3.8M12 17.2v.1" />
  </Icon>
)

export const MinusIcon = () => (
  <Icon>
    <path d="M6 12h12" />
  </Icon>
)

export const PlusIcon = () => (
  <Icon>
    <path d="M12 6v12M6 12h12" />
  </Icon>
)

export const FitIcon = () => (
  <Icon>
    <path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" />
  </Icon>
)

export const BackIcon = () => (
  <Icon>
    <path d="M15 5l-7 7 7 7" />
  </Icon>
)

export const TrashIcon = () => (
  <Icon>
    <path d="M4.5 7h15M10 11v6M14 11v6M6 7l1 12.5h10L18 7M9 7V4.5h6V7" />
  </Icon>
)

export const DuplicateIcon = () => (
  <Icon>
    <rect x="8" y="8" width="12" height="12" rx="1.5" />
    <path d="M16 8V5.5A1.5 1.5 0 0 0 14.5 4h-9A1.5 1.5 0 0 0 4 5.5v9A1.5 1.5 0 0 0 5.5 16H8" />
  </Icon>
)

export const ForwardIcon = () => (
  <Icon>
    <rect x="8" y="4" width="12" height="12" rx="1.5" fill="currentColor" fillOpacity=".18" />
    <path d="M4 8v10.5A1.5 1.5 0 0 0 5.5 20H16" />
  </Icon>
)

export const BackwardIcon = () => (
  <Icon>
    <rect x="4" y="8" width="12" height="12" rx="1.5" />
    <path d="M8 4h10.5A1.5 1.5 0 0 1 20 5.5V16" strokeDasharray="2 2.5" />
  </Icon>
)

export const ShareIcon = () => (
  <Icon>
    <circle cx="9" cy="8" r="3.5" />
    <path d="M3 20c.6-3.4 3-5.5 6-5.5s5.4 2.1 6 5.5M18 8v6M15 11h6" />
  </Icon>
)

export const ToFrontIcon = () => (
  <Icon>
    <path d="M12 19V7M7 11l5-5 5 5M5 3.5h14" />
  </Icon>
)

export const ToBackIcon = () => (
  <Icon>
    <path d="M12 5v12M7 13l5 5 5-5M5 20.5h14" />
  </Icon>
)
