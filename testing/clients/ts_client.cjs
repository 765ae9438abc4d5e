// The official TypeScript SDK client (@modelcontextprotocol/sdk) driving a server: list, call,
// read and get, printing what it saw as one JSON object. For interop tests of mcpctl's mock.
//
//   node testing/clients/ts_client.cjs stdio COMMAND [ARGS...]
//   node testing/clients/ts_client.cjs http URL
//   env: TOOL, TOOL_ARGS (JSON), RESOURCE, PROMPT, PROMPT_ARGS (JSON)
const path = require("path");
const sdk = path.resolve(__dirname, "../../.cache/node/node_modules/@modelcontextprotocol/sdk/dist/cjs");
const { Client } = require(path.join(sdk, "client/index.js"));
const { StdioClientTransport } = require(path.join(sdk, "client/stdio.js"));
const { StreamableHTTPClientTransport } = require(path.join(sdk, "client/streamableHttp.js"));

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  const transport =
    mode === "stdio"
      ? new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: process.env, stderr: "inherit" })
      : new StreamableHTTPClientTransport(new URL(rest[0]));
  const client = new Client({ name: "ts-interop", version: "1.0.0" });
  await client.connect(transport);
  const out = { server: client.getServerVersion(), protocol: transport.protocolVersion ?? null };
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  if (process.env.TOOL) {
    out.call = await client.callTool({ name: process.env.TOOL, arguments: JSON.parse(process.env.TOOL_ARGS || "{}") });
  }
  if (process.env.RESOURCE) {
    out.resources = (await client.listResources()).resources.map((r) => r.uri);
    out.read = await client.readResource({ uri: process.env.RESOURCE });
  }
  if (process.env.PROMPT) {
    out.prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    out.prompt = await client.getPrompt({ name: process.env.PROMPT, arguments: JSON.parse(process.env.PROMPT_ARGS || "{}") });
  }
  process.stdout.write(JSON.stringify(out) + "\n");
  await client.close();
}

main().catch((err) => {
  process.stderr.write(`ts client failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
