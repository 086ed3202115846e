/** The ingress's collectors, in the shared registry (observability/metrics.ts). */
import { Counter, Gauge, Histogram } from "prom-client"
import { registry } from "../observability/metrics.ts"

/** Every answer, by stream and status code; `webhook_id` is "" for paths that name no stream. */
export const requestsTotal = new Counter({
  name: "hookstream_ingress_requests_total",
  help: "HTTP requests answered by the ingress, by webhook id and status code",
  labelNames: ["webhook_id", "code"] as const,
  registers: [registry]
})

export const requestDuration = new Histogram({
  name: "hookstream_ingress_request_duration_seconds",
  help: "Time from request to answer, by status code (a 202 includes the broker's acknowledgement)",
  labelNames: ["code"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry]
})

export const inFlightGauge = new Gauge({
  name: "hookstream_ingress_in_flight",
  help: "Requests being handled plus records still settling with the producer",
  registers: [registry]
})

/** 503s after the record reached the producer: each may land later (a duplicate for the sender's retry). */
export const produceUnsettledTotal = new Counter({
  name: "hookstream_ingress_produce_unsettled_total",
  help: "503 answers whose record had already been handed to the Kafka producer and may still be written",
  labelNames: ["webhook_id"] as const,
  registers: [registry]
})
