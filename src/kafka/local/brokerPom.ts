import { DEPENDENCY_PLUGIN_VERSION, LOG4J_VERSION, SLF4J_API_VERSION } from "./KafkaVersion.ts"

const dependency = (groupId: string, artifactId: string, version: string, extra = "") =>
  `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version>${extra}</dependency>`

/**
 * A pom that only exists to list the broker's runtime classpath for
 * `dependency:copy-dependencies`. kafka-tools (ProducerPerformance / ConsumerPerformance) would
 * drag in connect-runtime with Jetty and Jersey, which neither the broker nor the perf tools load.
 */
export const brokerPom = (kafkaVersion: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.hookstream</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>${kafkaVersion}</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
${dependency("org.slf4j", "slf4j-api", SLF4J_API_VERSION)}
    </dependencies>
  </dependencyManagement>
  <dependencies>
${dependency("org.apache.kafka", "kafka_2.13", kafkaVersion)}
${dependency(
  "org.apache.kafka",
  "kafka-tools",
  kafkaVersion,
  "<exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions>"
)}
${dependency("org.apache.logging.log4j", "log4j-slf4j2-impl", LOG4J_VERSION)}
${dependency("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION)}
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>${DEPENDENCY_PLUGIN_VERSION}</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
`
