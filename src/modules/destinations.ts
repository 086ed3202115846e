/**
 * Every destination, declared once. Adding one: its runtime file (`<name>.ts`, exporting
 * `<name>Destination`), its folder with the driver-free `<Name>Config.ts`, one entry here, and
 * its conformance file (test/conformance/<name>.test.ts); see README "Adding a destination".
 * Module names, connection types, the schemas stream loading uses, the JSON Schemas in
 * schemas/ and the runtime registry are all derived from this list (registry.ts), and
 * test/unit/modules/registry.test.ts checks that nothing exists outside it.
 *
 * Driver-free: `load` imports a runtime file, and its driver, only when a stream that uses
 * the destination is bound.
 */
import { defineDestination } from "./defineDestination.ts"
import { FileConfig } from "./file/FileConfig.ts"
import { HttpConfig, HttpConnection } from "./http/HttpConfig.ts"
import { KafkaConfig, KafkaConnection } from "./kafka/KafkaConfig.ts"
import { LogConfig } from "./log/LogConfig.ts"
import { MqttConfig, MqttConnection } from "./mqtt/MqttConfig.ts"
import { MysqlConfig, MysqlConnection } from "./mysql/MysqlConfig.ts"
import { NatsConfig, NatsConnection } from "./nats/NatsConfig.ts"
import { PostgresqlConfig, PostgresqlConnection } from "./postgresql/PostgresqlConfig.ts"
import { RabbitmqConfig, RabbitmqConnection } from "./rabbitmq/RabbitmqConfig.ts"
import { RedisConfig, RedisConnection } from "./redis/RedisConfig.ts"

export const destinations = [
  defineDestination({
    name: "log",
    description: "Write one structured log line per event (payload only when include_payload is true)",
    aliases: [],
    config: LogConfig,
    load: () => import("./log.ts").then((runtime) => runtime.logDestination)
  }),
  defineDestination({
    name: "file",
    description:
      "Write each event to <directory>/<idempotency key>.json under the file base directory: the key <webhook_id>:<event_id>:<module id> percent-encoded (':' as %3A)",
    aliases: ["save_to_disk"],
    config: FileConfig,
    load: () => import("./file.ts").then((runtime) => runtime.fileDestination)
  }),
  defineDestination({
    name: "http",
    description: "Send the payload as JSON to an HTTP endpoint (SSRF-guarded, optional Standard Webhooks signing)",
    aliases: ["http_webhook"],
    config: HttpConfig,
    connection: { type: "http", schema: HttpConnection, required: false },
    load: () => import("./http.ts").then((runtime) => runtime.httpDestination)
  }),
  defineDestination({
    name: "kafka",
    description: "Produce the payload as a JSON record to a Kafka topic",
    aliases: [],
    config: KafkaConfig,
    connection: { type: "kafka", schema: KafkaConnection, required: true },
    load: () => import("./kafka.ts").then((runtime) => runtime.kafkaDestination)
  }),
  defineDestination({
    name: "postgresql",
    description: "Insert or upsert the event into a PostgreSQL table (json, relational or hybrid)",
    aliases: ["postgres"],
    config: PostgresqlConfig,
    connection: { type: "postgresql", schema: PostgresqlConnection, required: true },
    load: () => import("./postgresql.ts").then((runtime) => runtime.postgresqlDestination)
  }),
  defineDestination({
    name: "mysql",
    description: "Insert or upsert the event into a MySQL/MariaDB table (json, relational or hybrid)",
    aliases: ["mariadb"],
    config: MysqlConfig,
    connection: { type: "mysql", schema: MysqlConnection, required: true },
    load: () => import("./mysql.ts").then((runtime) => runtime.mysqlDestination)
  }),
  defineDestination({
    name: "redis",
    description: "Publish to a Redis channel, push onto a list, or append to a stream",
    aliases: ["redis_publish"],
    config: RedisConfig,
    connection: { type: "redis", schema: RedisConnection, required: true },
    load: () => import("./redis.ts").then((runtime) => runtime.redisDestination)
  }),
  defineDestination({
    name: "rabbitmq",
    description: "Publish the payload to a RabbitMQ exchange (with routing key) or queue",
    aliases: [],
    config: RabbitmqConfig,
    connection: { type: "rabbitmq", schema: RabbitmqConnection, required: true },
    load: () => import("./rabbitmq.ts").then((runtime) => runtime.rabbitmqDestination)
  }),
  defineDestination({
    name: "mqtt",
    description: "Publish the payload to an MQTT topic",
    aliases: [],
    config: MqttConfig,
    connection: { type: "mqtt", schema: MqttConnection, required: true },
    load: () => import("./mqtt.ts").then((runtime) => runtime.mqttDestination)
  }),
  defineDestination({
    name: "nats",
    description: "Publish the payload to a NATS subject (JetStream by default)",
    aliases: [],
    config: NatsConfig,
    connection: { type: "nats", schema: NatsConnection, required: true },
    load: () => import("./nats.ts").then((runtime) => runtime.natsDestination)
  })
] as const
