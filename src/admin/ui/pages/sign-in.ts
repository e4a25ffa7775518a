/**
 * @module admin/ui/pages/sign-in
 * The sign-in form: the router's admin account (rpcd's users where rpcd runs). The server's
 * refusal is shown as it says it; 429 (too many failed attempts) too.
 */
import { CallError } from '../api'
import { h, put } from '../dom'
import { parseRoute, routeHash } from '../route'
import type { PageContext } from '../main'
import { S } from '../strings'

export const signInPage = async ({ client, route, main, go }: PageContext): Promise<void> => {
  const error = h('p', { id: 'sign-in-error', className: 'error', role: 'alert' })
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' })
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const submit = h('button', { type: 'submit', className: 'primary' }, S.signIn)
  const form = h('form', { className: 'card sign-in', 'aria-labelledby': 'sign-in-heading' },
    h('h1', { id: 'sign-in-heading' }, S.signInHeading),
    h('p', { className: 'muted' }, S.signInLead),
    h('label', { for: 'username' }, S.username), user,
    h('label', { for: 'password' }, S.password), pass,
    error,
    submit)
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    submit.disabled = true
    submit.textContent = S.signingIn
    error.textContent = ''
    client.login(user.value.trim(), pass.value).then(() => {
      const next = route.query.next ?? ''
      const target = parseRoute(next).page
      go(next === '' || target === null || target === 'signin' ? routeHash('api') : `#${next}`)
    }, (err: Error) => {
      error.textContent = err instanceof CallError && err.status === 429 && err.message.startsWith('429') ? S.tooManyAttempts : err.message
      pass.value = ''
      pass.setAttribute('aria-invalid', 'true')
      pass.setAttribute('aria-describedby', 'sign-in-error')
      pass.focus()
    }).finally(() => {
      submit.disabled = false
      submit.textContent = S.signIn
    })
  })
  put(main, form)
  user.focus()
}
