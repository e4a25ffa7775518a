/**
 * @module ubus/signature
 * The SIGNATURE attribute of an ADD_OBJECT, built from an object's methods: one blobmsg TABLE
 * per method (named after it), holding one INT32 per argument whose value is the argument's
 * blobmsg type. This is what `ubus -v list hotspot` shows to callers.
 */
import { BlobmsgType, type BlobmsgNode } from './blobmsg'
import type { UbusMethod } from './object'

/** The signature nodes for `methods`, in their order. */
export const signatureOf = (methods: ReadonlyMap<string, Pick<UbusMethod, 'policy'>>): BlobmsgNode[] =>
  [...methods].map(([name, m]) => ({
    type: BlobmsgType.TABLE,
    name,
    value: Object.entries(m.policy).map(([arg, type]) => ({ type: BlobmsgType.INT32, name: arg, value: type })),
  }))
