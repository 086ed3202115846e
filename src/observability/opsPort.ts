/** The ops server's default port (Prometheus' conventional exporter port). */
export const DEFAULT_OPS_PORT = 9464
