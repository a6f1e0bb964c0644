import { useCallback, useEffect, useId, useState, type FormEvent } from 'react'
import type { CanvasSummary, Member } from '../../protocol/httpTypes.js'
import { api, ApiError, describeError } from '../app/apiClient.js'
import type { MemberRole } from '../../protocol/roles.js'
import { Avatar } from '../components/Avatar.js'
import { Dialog } from '../components/Dialog.js'

interface Props {
  canvas: CanvasSummary | undefined
  onClose: () => void
}

const ROLE_NAME = { owner: 'Owner', editor: 'Can edit', viewer: 'Can view' } as const

/** Share a canvas by email with a role; list and remove members (owner only). */
export function ShareDialog({ canvas, onClose }: Props) {
  const [members, setMembers] = useState<Member[] | undefined>()
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<MemberRole>('editor')
  const [emailError, setEmailError] = useState<string | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [notice, setNotice] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const emailId = useId()
  const roleId = useId()
  const canvasId = canvas?.id

  const loadMembers = useCallback(async (id: string) => {
    try {
      setMembers((await api.listMembers(id)).members)
    } catch (err) {
      setError(describeError(err))
    }
  }, [])

  useEffect(() => {
    setMembers(undefined)
    setEmail('')
    setEmailError(undefined)
    setError(undefined)
    setNotice(undefined)
    if (canvasId !== undefined) void loadMembers(canvasId)
  }, [canvasId, loadMembers])

  const share = async (event: FormEvent) => {
    event.preventDefault()
    if (canvasId === undefined) return
    setError(undefined)
    setNotice(undefined)
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) return setEmailError('Enter a valid email address.')
    setEmailError(undefined)
    setBusy(true)
    try {
      const { member } = await api.shareCanvas(canvasId, email.trim(), role)
      setNotice(`Shared with ${member.username} (${ROLE_NAME[member.role].toLowerCase()}).`)
      setEmail('')
      await loadMembers(canvasId)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_found') setEmailError('No account uses this email.')
      else if (err instanceof ApiError && err.field?.startsWith('email'))
        setEmailError('Enter a valid email address.')
      else if (err instanceof ApiError && err.code === 'conflict')
        setEmailError('That is the owner: they have full access.')
      else setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }

  const remove = async (member: Member) => {
    if (canvasId === undefined) return
    setError(undefined)
    try {
      await api.removeMember(canvasId, member.userId)
      setNotice(`${member.username} no longer has access.`)
      await loadMembers(canvasId)
    } catch (err) {
      setError(describeError(err))
    }
  }

  return (
    <Dialog
      title={canvas ? `Share “${canvas.name}”` : 'Share'}
      open={canvas !== undefined}
      onClose={onClose}
      className="wide"
      testId="share-dialog"
    >
      <form className="share-form" onSubmit={(e) => void share(e)} noValidate>
        <div className={emailError ? 'field grow has-error' : 'field grow'}>
          <label htmlFor={emailId}>Email</label>
          <input
            id={emailId}
            type="email"
            placeholder="name@example.com"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={emailError ? true : undefined}
            aria-describedby={emailError ? `${emailId}-error` : undefined}
            autoFocus
          />
          {emailError && (
            <p className="field-error" id={`${emailId}-error`}>
              {emailError}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={roleId}>Role</label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as MemberRole)}>
            <option value="editor">Can edit</option>
            <option value="viewer">Can view</option>
          </select>
        </div>
        <button type="submit" className="button primary share-submit" disabled={busy}>
          Share
        </button>
      </form>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      <p className="notice" role="status">
        {notice}
      </p>
      <h3 className="section-title">People with access</h3>
      {members === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <ul className="member-list" data-testid="member-list">
          {members.map((member) => (
            <li key={member.userId}>
              <Avatar name={member.username} color="#8b8d98" size="small" />
              <span className="member-name">
                {member.username}
                <span className="muted small">{member.email}</span>
              </span>
              <span className="muted small">{ROLE_NAME[member.role]}</span>
              {member.role !== 'owner' && (
                <button
                  type="button"
                  className="button ghost small danger"
                  aria-label={`Remove ${member.username}`}
                  onClick={() => void remove(member)}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  )
}
