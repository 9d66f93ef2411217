// A WebSocket echo server built on Node's `ws`, the reference the conformance runner
// (tools/harness/ws_conformance.py) is validated against: ws publishes a clean Autobahn
// report, so any non-passing case against this server is a bug in the runner.
// It echoes text as text and binary as binary, on any path, with permessage-deflate enabled
// (every parameter of RFC 7692 accepted, so the offers of cases 12.x and 13.x all negotiate)
// and maxPayload / maxFragments above the 16 MiB messages and 65537-frame messages of 9.x.
// Usage: NODE_PATH=.cache/node/node_modules node tools/harness/ws_echo_server.js PORT [HOST]
// (PORT 0 picks a free one). Prints `ws echo server listening on HOST:PORT` once it listens;
// exits on SIGTERM or SIGINT. `python3 -m harness.ws_conformance --self-test-ws` starts it.
"use strict";

const { WebSocketServer } = require("ws");
const wsVersion = require("ws/package.json").version;

const [portText = "9001", host = "127.0.0.1"] = process.argv.slice(2);
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`ws_echo_server: bad port ${portText}`);
    process.exit(2);
}

const server = new WebSocketServer({
    host,
    port,
    maxPayload: 64 * 1024 * 1024,
    // ws 8.23 limits a message to 16384 fragments by default (a denial-of-service guard, a
    // policy and not RFC 6455); cases 9.3.1 and 9.4.1 send 4 MiB in 65537 frames.
    maxFragments: 128 * 1024,
    maxBufferedChunks: 1024 * 1024,
    clientTracking: false,
    perMessageDeflate: {
        threshold: 0,              // compress every echo, small ones included
        concurrencyLimit: 10,
    },
});

server.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
    // A protocol error closes the connection with the right code; the event only has to be
    // consumed so that it does not end the process.
    socket.on("error", () => {});
});

server.on("listening", () => {
    const address = server.address();
    console.log(`ws echo server listening on ${address.address}:${address.port} (ws ${wsVersion})`);
});

server.on("error", (error) => {
    console.error(`ws_echo_server: ${error.message}`);
    process.exit(1);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => process.exit(0));
}
