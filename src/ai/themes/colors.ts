/**
 * Colour words the planner understands, as the #rrggbb they stand for: "red circles", "make it
 * blue". Tuned for shapes on a light canvas, not CSS's named colours (CSS green is very dark).
 */
export const COLOR_WORDS: Readonly<Record<string, string>> = {
  red: '#e03131',
  orange: '#f76707',
  yellow: '#fab005',
  green: '#2f9e44',
  teal: '#0ca678',
  cyan: '#1098ad',
  blue: '#1c7ed6',
  indigo: '#4263eb',
  purple: '#7048e8',
  violet: '#7048e8',
  pink: '#d6336c',
  magenta: '#ae3ec9',
  brown: '#8d5524',
  black: '#111111',
  white: '#ffffff',
  gray: '#868e96',
  grey: '#868e96',
  navy: '#1b2a59',
  gold: '#f0b400',
  lime: '#74b816',
}

export const COLOR_NAMES = Object.keys(COLOR_WORDS)
