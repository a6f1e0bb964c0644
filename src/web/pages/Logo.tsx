/** The product mark and name, linking nowhere: pages that need a home link wrap it. */
export function Logo({ compact = false }: { compact?: boolean }) {
  return (
    <span className="logo">
      <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
        <rect width="32" height="32" rx="8" fill="#3E63DD" />
        <rect x="7" y="7" width="11" height="11" rx="2" fill="#fff" />
        <circle cx="20" cy="20" r="6" fill="#fff" fillOpacity=".7" />
      </svg>
      {!compact && <span className="logo-name">CollabCanvas</span>}
    </span>
  )
}
