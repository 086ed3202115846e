/**
 * Every destination's runtime spec (schemas + `make`) by module name: what the processor
 * uses to build clients. Adding a destination is one file and one line here.
 */
import type { ModuleName } from "../domain/ModuleName.ts"
import type { DestinationSpec } from "./Destination.ts"
import { fileDestination } from "./file.ts"
import { httpDestination } from "./http.ts"
import { kafkaDestination } from "./kafka.ts"
import { logDestination } from "./log.ts"
import { mqttDestination } from "./mqtt.ts"
import { mysqlDestination } from "./mysql.ts"
import { natsDestination } from "./nats.ts"
import { postgresqlDestination } from "./postgresql.ts"
import { rabbitmqDestination } from "./rabbitmq.ts"
import { redisDestination } from "./redis.ts"

export const destinations: Readonly<Record<ModuleName, DestinationSpec>> = {
  log: logDestination,
  file: fileDestination,
  http: httpDestination,
  kafka: kafkaDestination,
  postgresql: postgresqlDestination,
  mysql: mysqlDestination,
  redis: redisDestination,
  rabbitmq: rabbitmqDestination,
  mqtt: mqttDestination,
  nats: natsDestination
}
