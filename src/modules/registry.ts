/**
 * Every destination's schemas by module name. Stream loading and `hookstream validate`
 * use only this (no clients, no sockets); adding a destination is one file and one line here.
 */
import type { ModuleName } from "../domain/ModuleName.ts"
import type { ConnectionType, ModuleSchemas } from "./Destination.ts"
import { fileSchemas } from "./file.ts"
import { httpSchemas } from "./http.ts"
import { kafkaSchemas } from "./kafka.ts"
import { logSchemas } from "./log.ts"
import { mqttSchemas } from "./mqtt.ts"
import { mysqlSchemas } from "./mysql.ts"
import { natsSchemas } from "./nats.ts"
import { postgresqlSchemas } from "./postgresql.ts"
import { rabbitmqSchemas } from "./rabbitmq.ts"
import { redisSchemas } from "./redis.ts"

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
