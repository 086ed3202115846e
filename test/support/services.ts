import { isPortOpen } from "../../src/kafka/local/freePort.ts"

/**
 * The machine's services, as tests reach them. Each is a URL from the environment, defaulting
 * to the service this machine (and CI) runs on loopback; docker-compose.yml offers the same set.
 */
export type ServiceName = "postgres" | "mariadb" | "redis" | "rabbitmq" | "mosquitto" | "nats"

interface ServiceSpec {
  readonly label: string
  readonly env: string
  readonly defaultUrl: string
  readonly defaultPort: number
  /** how this kind of machine starts it (the same commands .ci/run uses) */
  readonly start: string
}

const specs: Readonly<Record<ServiceName, ServiceSpec>> = {
  postgres: {
    label: "PostgreSQL",
    env: "POSTGRES_URL",
    defaultUrl: "postgres://postgres@127.0.0.1:5432/test",
    defaultPort: 5432,
    start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
  },
  mariadb: {
    label: "MariaDB",
    env: "MARIADB_URL",
    defaultUrl: "mysql://root@127.0.0.1:3306/test",
    defaultPort: 3306,
    start: "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
  },
  redis: {
    label: "Redis",
    env: "REDIS_URL",
    defaultUrl: "redis://127.0.0.1:6379",
    defaultPort: 6379,
    start:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log'
  },
  rabbitmq: {
    label: "RabbitMQ",
    env: "RABBITMQ_URL",
    defaultUrl: "amqp://guest:guest@127.0.0.1:5672",
    defaultPort: 5672,
    start: "rabbitmq-server -detached"
  },
  mosquitto: {
    label: "Mosquitto (MQTT)",
    env: "MQTT_URL",
    defaultUrl: "mqtt://127.0.0.1:1883",
    defaultPort: 1883,
    start: "mosquitto -d -c /etc/mosquitto/mosquitto.conf"
  },
  nats: {
    label: "NATS (JetStream)",
    env: "NATS_URL",
    defaultUrl: "nats://127.0.0.1:4222",
    defaultPort: 4222,
    start:
      "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log"
  }
}

export const serviceNames = Object.keys(specs) as ReadonlyArray<ServiceName>

export interface ServiceAddress {
  readonly name: ServiceName
  /** the full URL, credentials included, as drivers take it */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly username: string
  readonly password: string
  /** the path without its leading slash (database name), or "" */
  readonly database: string
}

/** Where a service is expected, from `<SERVICE>_URL` or this machine's default. */
export const serviceAddress = (name: ServiceName, env: NodeJS.ProcessEnv = process.env): ServiceAddress => {
  const spec = specs[name]
  const url = env[spec.env] || spec.defaultUrl
  const parsed = new URL(url)
  return {
    name,
    url,
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port === "" ? spec.defaultPort : Number(parsed.port),
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, "")
  }
}

/**
 * The service's address once its port accepts TCP connections. When it does not, throws an
 * error naming the service and how to start it: a test that needs a service fails loudly
 * rather than skipping.
 */
export const requireService = async (
  name: ServiceName,
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {}
): Promise<ServiceAddress> => {
  const address = serviceAddress(name, options.env)
  if (await isPortOpen(address.host, address.port, options.timeoutMs ?? 2000)) return address
  const spec = specs[name]
  throw new Error(
    `${spec.label} is not reachable at ${address.host}:${address.port} (${spec.env}=${address.url}). ` +
      `Start it with \`${spec.start}\` (as root on the project's machines, which .ci/run does), ` +
      `or \`docker compose up -d ${name}\`, or point ${spec.env} at a running one.`
  )
}
