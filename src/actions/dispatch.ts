/**
 * @module actions/dispatch
 * The one way into the action table: find the action, validate its parameters against its
 * spec, run it. Anything that is not an ApiError is logged with its stack and answered with
 * the seed's "An error occurred", never with internals.
 */
import type { Action, ActionContext, Result } from './spec'
import { parseParams } from './spec'
import { ApiError, NO_ACTION, stackOf, UNKNOWN_ACTION, UNKNOWN_ERROR } from '../errors'

/**
 * Runs action `name` with raw parameters from a door.
 * @throws ApiError, and only ApiError
 */
export const dispatch = async (
  table: readonly Action[], name: string | undefined, raw: Record<string, unknown>, ctx: ActionContext,
): Promise<Result> => {
  if (name === undefined || name === '') throw new ApiError('invalid', NO_ACTION)
  const action = table.find((a) => a.name === name)
  if (action === undefined) throw new ApiError('invalid', UNKNOWN_ACTION)
  try {
    return await action.handler(parseParams(action.params, raw), ctx)
  } catch (err) {
    if (err instanceof ApiError) throw err
    ctx.log.error(`action ${name} failed: ${stackOf(err)}`)
    throw new ApiError('internal', UNKNOWN_ERROR, { cause: err })
  }
}
