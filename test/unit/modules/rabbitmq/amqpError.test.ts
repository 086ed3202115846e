import { describe, expect, it } from "vitest"
import { amqpError } from "../../../../src/modules/rabbitmq/amqpError.ts"

const withCode = (message: string, code: unknown) => Object.assign(new Error(message), { code })

describe("amqpError", () => {
  it("network failures are unreachable or timeout, retryable", () => {
    expect(amqpError(withCode("connect ECONNREFUSED 127.0.0.1:5672", "ECONNREFUSED"), [])).toMatchObject({
      reason: "unreachable",
      retryable: true
    })
    expect(amqpError(new Error("connect ETIMEDOUT"), [])).toMatchObject({ reason: "timeout", retryable: true })
    expect(amqpError(new Error("Heartbeat timeout"), [])).toMatchObject({ reason: "timeout", retryable: true })
  })

  it("a refused login is unauthorized and says nothing of the credentials; a refused vhost misconfigured", () => {
    const login = amqpError(
      new Error(
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."'
      ),
      []
    )
    expect(login).toMatchObject({ reason: "unauthorized", retryable: false })
    expect(amqpError(new Error("Expected ConnectionOpenOk; got <ConnectionClose channel:0>"), [])).toMatchObject({
      reason: "misconfigured",
      retryable: false
    })
  })

  it("a channel's 404/403 is this delivery's fault only when it names this delivery's target", () => {
    const notFound = withCode(
      "Channel closed by server: 404 (NOT-FOUND) with message \"NOT_FOUND - no exchange 'orders' in vhost '/'\"",
      404
    )
    expect(amqpError(notFound, ["orders"])).toMatchObject({ reason: "misconfigured", retryable: false })
    expect(amqpError(notFound, ["payments"])).toMatchObject({ reason: "unavailable", retryable: true })
    const refused = withCode(
      "Channel closed by server: 403 (ACCESS-REFUSED) with message \"ACCESS_REFUSED - access to exchange 'orders' in vhost '/' refused for user 'u'\"",
      403
    )
    expect(amqpError(refused, ["orders"])).toMatchObject({ reason: "unauthorized", retryable: false })
    expect(amqpError(refused, ["jobs"])).toMatchObject({ reason: "unavailable", retryable: true })
  })

  it("nacks and lost channels are unavailable and retryable; oversized headers invalid_payload", () => {
    expect(amqpError(new Error("message nacked"), ["q"])).toMatchObject({ reason: "unavailable", retryable: true })
    expect(amqpError(new Error("channel closed"), ["q"])).toMatchObject({ reason: "unavailable", retryable: true })
    expect(amqpError(new RangeError("headers table exceeds 64 KiB"), ["q"])).toMatchObject({
      reason: "invalid_payload",
      retryable: false
    })
  })

  it("messages never carry a connection URL", () => {
    const error = amqpError(new Error("cannot reach amqp://guest:secret@broker:5672/"), [])
    expect(error.message).not.toContain("secret")
  })
})
