import { useRef } from 'react'

/** A picture frame with a mountain and a sun, drawn like the toolbar's other icons. */
const ImageIcon = () => (
  <svg
    viewBox="0 0 24 24"
    width="20"
    height="20"
    aria-hidden="true"
    focusable="false"
    fill="none"
    stroke="currentColor"
    strokeWidth={1.75}
    strokeLinecap="round"
    strokeLinejoin="round"
  >
    <rect x="3.5" y="5" width="17" height="14" rx="2" />
    <circle cx="9" cy="10" r="1.6" />
    <path d="m4 17 5-5 4 4 2.5-2.5L20 18" />
  </svg>
)

/** The toolbar's "Insert image" button: opens the file picker, hands the chosen files on. */
export function InsertImageButton({
  disabled,
  onFiles,
}: {
  disabled: boolean
  onFiles: (files: File[]) => void
}) {
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button
        type="button"
        className="tool-button"
        aria-label="Insert image"
        title={disabled ? 'Insert image (view only)' : 'Insert image (PNG, JPEG, GIF, WebP or SVG)'}
        disabled={disabled}
        data-testid="insert-image"
        onClick={() => input.current?.click()}
      >
        <ImageIcon />
      </button>
      <input
        ref={input}
        type="file"
        accept="image/png,image/jpeg,image/gif,image/webp,image/svg+xml"
        multiple
        hidden
        data-testid="insert-image-input"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])]
          // The same file can be chosen again next time.
          e.target.value = ''
          if (files.length > 0) onFiles(files)
        }}
      />
    </>
  )
}
