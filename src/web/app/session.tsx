import { createContext, useContext, type ReactNode } from 'react'
import type { User } from '../../protocol/httpTypes.js'

export interface Session {
  user: User
  /** Ends the session on the server and returns to the sign-in page. */
  signOut: () => Promise<void>
}

const SessionContext = createContext<Session | undefined>(undefined)

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>
}

/** The signed-in user; only pages rendered for a signed-in user call this. */
export function useSession(): Session {
  const session = useContext(SessionContext)
  if (!session) throw new Error('useSession outside a signed-in page')
  return session
}
