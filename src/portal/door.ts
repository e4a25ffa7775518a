/**
 * @module portal/door
 * Builds the portal's door from the daemon's parts: the UCI settings (read at each request,
 * so a reload applies at once), the guest subnets, the shared ndsctl runner, the
 * enforcer's live usage and first-login stamps, the SMS gateway and the Facebook app. Facebook's
 * redirect URI defaults to the portal's own `<path>facebook` on the guest-side address.
 */
import type { Config } from '../config/config'
import type { ActionContext } from '../actions/spec'
import { subnetsOf } from '../backend/guest-hosts'
import type { Ndsctl } from '../backend/ndsctl'
import type { Enforcer } from '../enforce/enforcer'
import { deviceOf, type InterfaceTable } from '../http/listen-addresses'
import { Throttle } from '../http/throttle'
import type { Logger } from '../log'
import type { Store } from '../store/db'
import type { UciPackage } from '../config/uci'
import { OtpBook } from './mobile'
import type { PortalDoor } from './server'
import { sendSms } from './sms'

export interface PortalParts {
  config: () => Config
  store: Store
  ndsctl: () => Ndsctl
  /** The enforcement loop, when it runs: live usage and first-login stamps. */
  enforcer: () => Enforcer | undefined
  log: Logger
  emit: ActionContext['emit']
  /** Epoch seconds. */
  now: () => number
  interfaces: () => InterfaceTable
  network: () => UciPackage | undefined
  /** The guest-side address the portal listens on (openNDS' gateway address), once it listens. */
  gatewayHost: () => string | undefined
}

export const portalDoor = (p: PortalParts): PortalDoor => {
  const portal = (): Config['portal'] => p.config().portal
  return {
    login: {
      store: p.store,
      ndsctl: { auth: async (target, grant) => { await p.ndsctl().auth(target, grant) } },
      usage: (id) => p.enforcer()?.usage(id) ?? p.store.usage.of(id),
      noteFirstLogin: (id) => { p.enforcer()?.noteFirstLogin(id) },
      log: p.log,
      emit: p.emit,
      now: p.now,
      settings: () => ({
        ...portal().methods,
        maxDevices: portal().maxDevices,
        maxSessionMinutes: portal().sessionMinutes,
        guestMinutes: portal().guestMinutes,
        countryCode: p.config().sms.countryCode,
        smsPerHour: p.config().sms.maxPerHour,
      }),
      throttle: new Throttle(),
      otp: new OtpBook(),
      sendSms: async (to, text, code) => { await sendSms(p.config().sms, to, text, code) },
    },
    ndsctl: { client: async (target) => await p.ndsctl().client(target) },
    settings: () => {
      const host = p.gatewayHost() ?? '127.0.0.1'
      const { facebook } = p.config()
      return {
        path: portal().path,
        gateway: `${host}:${portal().gatewayPort}`,
        methods: portal().methods,
        landing: portal().landing,
        smsMessage: p.config().sms.message,
        facebook: { ...facebook, redirectUri: facebook.redirectUri === '' ? `http://${host}:${portal().port}${portal().path}facebook` : facebook.redirectUri },
      }
    },
    subnets: () => subnetsOf(p.interfaces(), portal().guestInterfaces.map((name) => deviceOf(name, p.network()))),
    log: p.log,
  }
}
