/**
 * The mqtt destination's config and connection schemas, apart from its runtime (mqtt.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { text, withDefault } from "../../schema/Checks.ts"
import { connectionEntry, urlOrHost } from "../../schema/ConnectionCommon.ts"
import { Duration } from "../../schema/Duration.ts"
import { MqttTopic, Port } from "../../schema/Identifiers.ts"
import { Secret, secretMatching } from "../../schema/Secret.ts"

export const MqttConfig = Schema.Struct({
  topic: MqttTopic,
  qos: withDefault(Schema.Literals([0, 1, 2]), 1),
  retained: withDefault(Schema.Boolean, false)
})
export type MqttConfig = typeof MqttConfig.Type

export const MqttConnection = connectionEntry("mqtt", {
  url: Schema.optionalKey(
    secretMatching((value) => /^(mqtts?|wss?):\/\//.test(value), "expected an mqtt://, mqtts://, ws:// or wss:// URL")
  ),
  host: Schema.optionalKey(text(253)),
  port: withDefault(Port, 1883),
  username: Schema.optionalKey(text(255)),
  password: Schema.optionalKey(Secret),
  /** default `hookstream-<random>` per process */
  client_id: Schema.optionalKey(text(128)),
  /** 4 = MQTT 3.1.1 (what every broker speaks), 5 = MQTT 5 */
  protocol_version: withDefault(Schema.Literals([4, 5]), 4),
  keepalive: withDefault(Duration({ min: 1000, max: 3_600_000 }), "60s"),
  tls: withDefault(Schema.Boolean, false)
}).check(urlOrHost)
export type MqttConnection = typeof MqttConnection.Type
