/**
 * Every destination's schemas by module name. Stream loading and `hookstream validate`
 * use only this (no clients, no sockets); adding a destination is one file and one line here.
 */
import type { ModuleName } from "../domain/ModuleName.ts"
import type { ConnectionType, ModuleSchemas } from "./Destination.ts"
import { fileSchemas } from "./file/FileConfig.ts"
import { httpSchemas } from "./http/HttpConfig.ts"
import { kafkaSchemas } from "./kafka/KafkaConfig.ts"
import { logSchemas } from "./log/LogConfig.ts"
import { mqttSchemas } from "./mqtt/MqttConfig.ts"
import { mysqlSchemas } from "./mysql/MysqlConfig.ts"
import { natsSchemas } from "./nats/NatsConfig.ts"
import { postgresqlSchemas } from "./postgresql/PostgresqlConfig.ts"
import { rabbitmqSchemas } from "./rabbitmq/RabbitmqConfig.ts"
import { redisSchemas } from "./redis/RedisConfig.ts"

export const moduleSchemas: Readonly<Record<ModuleName, ModuleSchemas>> = {
  log: logSchemas,
  file: fileSchemas,
  http: httpSchemas,
  kafka: kafkaSchemas,
  postgresql: postgresqlSchemas,
  mysql: mysqlSchemas,
  redis: redisSchemas,
  rabbitmq: rabbitmqSchemas,
  mqtt: mqttSchemas,
  nats: natsSchemas
}

export const connectionTypes: ReadonlyArray<ConnectionType> = [
  "http",
  "kafka",
  "postgresql",
  "mysql",
  "redis",
  "rabbitmq",
  "mqtt",
  "nats"
]

/** The connection spec for a connection type (each type belongs to exactly one module). */
export const connectionSpecFor = (type: ConnectionType): NonNullable<ModuleSchemas["connection"]> => {
  for (const schemas of Object.values(moduleSchemas)) {
    if (schemas.connection?.type === type) return schemas.connection
  }
  throw new Error(`no module declares connection type ${type}`)
}
