import type { Delivery } from "../modules/Destination.ts"
import type { BoundStep } from "./BoundChain.ts"
import type { StepContext } from "./StepContext.ts"
import type { StepState } from "./StepState.ts"

/** What the destination receives for this attempt. */
export const deliveryOf = (
  step: BoundStep,
  ctx: StepContext,
  state: StepState,
  traceparent: string | undefined
): Delivery => {
  const { plan } = step
  const { input } = ctx
  const shaped = state.shaped
  const transformed = shaped !== undefined && "body" in shaped
  const delivery: { -readonly [K in keyof Delivery]: Delivery[K] } = {
    eventId: input.eventId,
    webhookId: ctx.webhookId,
    moduleId: plan.id,
    idempotencyKey: state.idempotencyKey,
    attempt: state.attempts,
    payload: transformed ? shaped.body : input.payload,
    payloadEncoding: transformed ? "json" : input.payloadEncoding,
    headers: input.headers,
    config: plan.config
  }
  if (input.key !== undefined) delivery.key = input.key
  if (shaped?.headers !== undefined) delivery.templatedHeaders = shaped.headers
  if (traceparent !== undefined) delivery.traceparent = traceparent
  return delivery
}
