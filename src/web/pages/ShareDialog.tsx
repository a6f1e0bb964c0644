import { useCallback, useEffect, useId, useState, type FormEvent } from 'react'
import type { CanvasSummary, Invite, Member } from '../../protocol/httpTypes.js'
import { api, ApiError, describeError } from '../app/apiClient.js'
import type { MemberRole } from '../../protocol/roles.js'
import { Avatar } from '../components/Avatar.js'
import { Dialog } from '../components/Dialog.js'

interface Props {
  canvas: CanvasSummary | undefined
  onClose: () => void
}

const ROLE_NAME = { owner: 'Owner', editor: 'Can edit', viewer: 'Can view' } as const

/**
 * Share a canvas (owner only): invite an email with a role, make share links, revoke either, and
 * list and remove members. The answer to an email never says whether it has an account.
 */
export function ShareDialog({ canvas, onClose }: Props) {
  const [members, setMembers] = useState<Member[] | undefined>()
  const [invites, setInvites] = useState<Invite[]>([])
  const [link, setLink] = useState<string | undefined>()
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
      const [list, open] = await Promise.all([api.listMembers(id), api.listInvites(id)])
      setMembers(list.members)
      setInvites(open.invites)
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
    setLink(undefined)
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
      const answer = await api.shareCanvas(canvasId, email.trim(), role)
      setNotice(
        'member' in answer
          ? `${answer.member.username} now ${ROLE_NAME[answer.member.role].toLowerCase()}.`
          : `Invitation sent to ${answer.invite.email ?? email.trim()}. They get access when they accept it, or when they sign up with this email.`,
      )
      setEmail('')
      await loadMembers(canvasId)
    } catch (err) {
      if (err instanceof ApiError && err.field?.startsWith('email'))
        setEmailError('Enter a valid email address.')
      else if (err instanceof ApiError && err.code === 'conflict')
        setEmailError('That is the owner: they have full access.')
      else setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }

  const createLink = async (linkRole: MemberRole, expiresInDays: number | undefined) => {
    if (canvasId === undefined) return
    setError(undefined)
    try {
      const { path } = await api.createShareLink(canvasId, linkRole, expiresInDays)
      setLink(new URL(path, location.origin).href)
      await loadMembers(canvasId)
    } catch (err) {
      setError(describeError(err))
    }
  }

  const revoke = async (invite: Invite) => {
    if (canvasId === undefined) return
    setError(undefined)
    try {
      await api.revokeInvite(canvasId, invite.id)
      setNotice(
        invite.kind === 'link'
          ? 'The link no longer works.'
          : `The invitation to ${invite.email} is withdrawn.`,
      )
      await loadMembers(canvasId)
    } catch (err) {
      setError(describeError(err))
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
      <ShareLinkForm onCreate={createLink} link={link} />
      {invites.length > 0 && (
        <>
          <h3 className="section-title">Open invitations</h3>
          <ul className="member-list" data-testid="invite-list">
            {invites.map((invite) => (
              <li key={invite.id}>
                <span className="member-name">
                  {invite.kind === 'email' ? invite.email : 'Share link'}
                  <span className="muted small">
                    {invite.expiresAt
                      ? `until ${new Date(invite.expiresAt).toLocaleDateString()}`
                      : 'no expiry'}
                  </span>
                </span>
                <span className="muted small">{ROLE_NAME[invite.role]}</span>
                <button
                  type="button"
                  className="button ghost small danger"
                  aria-label={
                    invite.kind === 'email'
                      ? `Revoke the invitation to ${invite.email}`
                      : 'Revoke the share link'
                  }
                  onClick={() => void revoke(invite)}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
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

const EXPIRY_CHOICES = [
  { label: 'Never expires', days: undefined },
  { label: 'Expires in 1 day', days: 1 },
  { label: 'Expires in 7 days', days: 7 },
  { label: 'Expires in 30 days', days: 30 },
] as const

/** A share link: anyone signed in who opens it joins with its role, until it is revoked or expires. */
function ShareLinkForm({
  onCreate,
  link,
}: {
  onCreate: (role: MemberRole, expiresInDays: number | undefined) => Promise<void>
  link: string | undefined
}) {
  const [role, setRole] = useState<MemberRole>('viewer')
  const [expiry, setExpiry] = useState(0)
  const [copied, setCopied] = useState(false)
  const roleId = useId()
  const expiryId = useId()
  useEffect(() => setCopied(false), [link])

  return (
    <div className="share-link" data-testid="share-link">
      <h3 className="section-title">Share link</h3>
      <div className="share-form">
        <div className="field">
          <label htmlFor={roleId}>Link role</label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as MemberRole)}>
            <option value="viewer">Can view</option>
            <option value="editor">Can edit</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={expiryId}>Expiry</label>
          <select id={expiryId} value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
            {EXPIRY_CHOICES.map((choice, i) => (
              <option key={choice.label} value={i}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="button share-submit"
          onClick={() => void onCreate(role, EXPIRY_CHOICES[expiry]?.days)}
        >
          Create link
        </button>
      </div>
      {link && (
        <div className="share-form">
          <input
            className="grow"
            readOnly
            value={link}
            aria-label="Share link address"
            onFocus={(e) => e.target.select()}
          />
          <button
            type="button"
            className="button small"
            onClick={() =>
              void navigator.clipboard?.writeText(link).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      )}
      {link && <p className="muted small">Shown once: copy it now. Anyone signed in who opens it joins.</p>}
    </div>
  )
}
