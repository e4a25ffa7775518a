/**
 * @module ubus/acl
 * rpcd ACL groups (the JSON of /usr/share/rpcd/acl.d/*.json) for the `hotspot` object, derived
 * from the action table: a read group with every action that only looks, a write group with
 * every action that changes something. The shipped file is checked against this, and the
 * built-in JSON-RPC sessions use it directly, so the two can never disagree.
 */
import type { Action } from '../actions/spec'

/** Grants of one permission in one group: scope ("ubus") to object to method names or patterns. */
export interface AclGrants {
  ubus?: Record<string, string[]>
}

/** One rpcd access group, as in acl.d: a description and what `read` and `write` grant. */
export interface AclGroup {
  description: string
  read?: AclGrants
  write?: AclGrants
}

/** A whole acl.d file: group name to group. */
export type AclFile = Record<string, AclGroup>

/** The ubus object hotspotd publishes. */
export const HOTSPOT_OBJECT = 'hotspot'
export const READ_GROUP = 'hotspotd-read'
export const WRITE_GROUP = 'hotspotd-write'

/** hotspotd's acl.d file for `actions`, in table order. */
export const aclOf = (actions: readonly Pick<Action, 'name' | 'access'>[]): AclFile => {
  const names = (access: Action['access']): string[] => actions.filter((a) => a.access === access).map((a) => a.name)
  return {
    [READ_GROUP]: {
      description: 'hotspotd: read vouchers, guest users, logins, live guests and status',
      read: { ubus: { [HOTSPOT_OBJECT]: names('read') } },
    },
    [WRITE_GROUP]: {
      description: 'hotspotd: create and remove vouchers, disconnect guests, change API settings, show and replace the API key',
      write: { ubus: { [HOTSPOT_OBJECT]: names('write') } },
    },
  }
}
