/**
 * @module ubus/signature
 * The SIGNATURE attribute of an ADD_OBJECT, built from the action table: one blobmsg TABLE per
 * method (named after the action), holding one INT32 per parameter whose value is the
 * parameter's blobmsg type. This is what `ubus -v list hotspot` shows to callers.
 */
import { toBlobmsgPolicy, type Action } from '../actions/spec'
import { BlobmsgType, type BlobmsgNode } from './blobmsg'

/** The signature nodes for `actions`, in table order. */
export const signatureOf = (actions: readonly Pick<Action, 'name' | 'params'>[]): BlobmsgNode[] =>
  actions.map((a) => ({
    type: BlobmsgType.TABLE,
    name: a.name,
    value: Object.entries(toBlobmsgPolicy(a.params)).map(([name, type]) => ({ type: BlobmsgType.INT32, name, value: type })),
  }))
