/**
 * @module actions/get-status
 * hotspotd's own health check (not in the seed): version, uptime, where it listens, the
 * captive-portal backend's state, the ubus side, the cloud endpoint (its URL and whether the
 * tunnel is up), the guest portal's address (the link a voucher's QR code opens) and how many
 * vouchers exist. Holds no secret.
 */
import { defineAction } from './spec'
import { formatUptime } from '../domain/durations'
import { epoch, formatLocal } from '../domain/local-time'

export const getStatus = defineAction({
  name: 'get_status',
  summary: 'Daemon status (hotspotd extension)',
  access: 'read',
  params: {},
  handler: async (_p, ctx) => {
    const { daemon } = ctx
    return {
      data: {
        version: daemon.version,
        started_at: formatLocal(epoch(daemon.startedAt)),
        uptime: formatUptime(epoch(ctx.now()) - epoch(daemon.startedAt)),
        listening: daemon.listening(),
        backend: await ctx.backend.status(),
        ubus: daemon.ubus(),
        cloud: ((c) => ({ ...c, since: formatLocal(Math.floor(c.since / 1000)) }))(daemon.cloud()),
        portal: daemon.portal(),
        vouchers: ctx.store.vouchers.count(),
      },
    }
  },
})
