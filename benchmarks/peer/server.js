// The reference: the Neo4j GraphQL Library on Apollo Server, over the hub's database,
// as a team would deploy it without the hub. benchmarks/peer/run.py starts it with
//   PEER_TYPEDEFS  the type definitions (benchmarks/peer/typedefs.py writes them)
//   PEER_PORT      the port to listen on (loopback)
//   NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE (optional)
// and reads "ready <url>" from its first line of output.
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`server.js: ${name} is not set`);
    process.exit(2);
  }
  return value;
};

const driver = neo4j.driver(
  env("NEO4J_URI"),
  neo4j.auth.basic(env("NEO4J_USER"), env("NEO4J_PASSWORD")),
);
const library = new Neo4jGraphQL({
  typeDefs: readFileSync(env("PEER_TYPEDEFS"), "utf8"),
  driver,
});
const server = new ApolloServer({ schema: await library.getSchema() });
const database = process.env.NEO4J_DATABASE;
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(env("PEER_PORT")) },
  context: async () => (database ? { sessionConfig: { database } } : {}),
});
console.log(`ready ${url}`);

const stop = async () => {
  await server.stop();
  await driver.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
