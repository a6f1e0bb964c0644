import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App.js'
import './styles.css'
import './comfort.css'
import { applyTheme, currentTheme } from './theme/useTheme.js'

// Before the first render: no flash of the other theme.
applyTheme(currentTheme())

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
