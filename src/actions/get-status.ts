/**
 * @module actions/get-status
 * hotspotd's own health check (not in the seed): version, uptime, where it listens, the
 * captive-portal backend's state, the ubus side and how many vouchers exist. Holds no secret.
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
        vouchers: ctx.store.vouchers.count(),
      },
    }
  },
})
