import { useCallback, useEffect, useState } from 'react'
import type { InvitationForMe } from '../../protocol/httpTypes.js'
import { api, describeError } from '../app/apiClient.js'

const ROLE_VERB = { editor: 'edit', viewer: 'view' } as const

/** Invitations addressed to the signed-in user's email: accept (the canvas joins the list) or decline. */
export function InvitationsPanel({ onAccepted }: { onAccepted: () => void }) {
  const [invites, setInvites] = useState<InvitationForMe[]>([])
  const [error, setError] = useState<string | undefined>()

  const load = useCallback(async () => {
    try {
      setInvites((await api.myInvitations()).invites)
    } catch {
      // The canvas list shows its own error; an empty panel is the quiet fallback.
      setInvites([])
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const answer = async (invite: InvitationForMe, accept: boolean) => {
    setError(undefined)
    try {
      if (accept) await api.acceptInvitation(invite.id)
      else await api.declineInvitation(invite.id)
      setInvites((list) => list.filter((i) => i.id !== invite.id))
      if (accept) onAccepted()
    } catch (err) {
      setError(describeError(err))
      void load()
    }
  }

  if (invites.length === 0 && error === undefined) return null
  return (
    <section className="invitations" aria-label="Invitations" data-testid="invitations">
      <h2 className="section-title">Invitations</h2>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      <ul className="member-list">
        {invites.map((invite) => (
          <li key={invite.id} data-testid="invitation">
            <span className="member-name">
              {invite.invitedBy.username} invited you to {ROLE_VERB[invite.role]} “{invite.canvas.name}”
            </span>
            <button
              type="button"
              className="button primary small"
              aria-label={`Accept the invitation to ${invite.canvas.name}`}
              onClick={() => void answer(invite, true)}
            >
              Accept
            </button>
            <button
              type="button"
              className="button ghost small"
              aria-label={`Decline the invitation to ${invite.canvas.name}`}
              onClick={() => void answer(invite, false)}
            >
              Decline
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}
