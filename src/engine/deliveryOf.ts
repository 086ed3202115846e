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
  const payload = transformed ? shaped.body : input.payload
  const payloadEncoding = transformed ? "json" : input.payloadEncoding
  const key = input.key
  // the usual delivery (a key, a trace context, no templated headers) as one literal: properties
  // added after a literal go to a separate property array, allocated per delivery
  if (key !== undefined && traceparent !== undefined && shaped?.headers === undefined) {
    return {
      eventId: input.eventId,
      webhookId: ctx.webhookId,
      moduleId: plan.id,
      idempotencyKey: state.idempotencyKey,
      attempt: state.attempts,
      payload,
      payloadEncoding,
      headers: input.headers,
      config: plan.config,
      key,
      traceparent
    }
  }
  const delivery: { -readonly [K in keyof Delivery]: Delivery[K] } = {
    eventId: input.eventId,
    webhookId: ctx.webhookId,
    moduleId: plan.id,
    idempotencyKey: state.idempotencyKey,
    attempt: state.attempts,
    payload,
    payloadEncoding,
    headers: input.headers,
    config: plan.config
  }
  if (key !== undefined) delivery.key = key
  if (shaped?.headers !== undefined) delivery.templatedHeaders = shaped.headers
  if (traceparent !== undefined) delivery.traceparent = traceparent
  return delivery
}
