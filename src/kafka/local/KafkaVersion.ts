/**
 * The one place the local broker's version lives. docker-compose.yml pins the same
 * `apache/kafka` image tag (checked by test/integration/docker-compose.test.ts).
 *
 * 4.4.0 is the newest 4.x on Maven Central here; KafkaJS 2.2.4 passes produce, consumer
 * groups with manual commits, transactions with sendOffsets, createTopics and read_committed
 * against it (test/integration/kafka/client.test.ts).
 */
export const KAFKA_VERSION = "4.4.0"

/** Log4j2 is the binding the Kafka distribution ships; the Maven POM brings none. */
export const LOG4J_VERSION = "2.26.1"

/**
 * kafka-clients still declares slf4j-api 1.7.36, which cannot see the SLF4J 2 binding of
 * log4j-slf4j2-impl and would silently log nothing. The 2.x API is backwards compatible.
 */
export const SLF4J_API_VERSION = "2.0.20"

/** Maven 3.8.7 would otherwise pick an ancient default plugin version. */
export const DEPENDENCY_PLUGIN_VERSION = "3.8.1"
