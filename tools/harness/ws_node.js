// Node's `ws` client against the appliance's WebSocket endpoints: the echo endpoint with every
// payload size of the test matrix, text and binary, with and without permessage-deflate and a
// subprotocol; the chat room between two clients. Prints one `ok:` line per check and exits
// non-zero on the first failure. Usage (tools/harness/ws_clients.py runs it):
//   NODE_PATH=.cache/node/node_modules node tools/harness/ws_node.js ws://HOST:PORT
"use strict";

const crypto = require("crypto");
const WebSocket = require("ws");

const base = process.argv[2];
const SIZES = [0, 125, 126, 65535, 65536, 16 * 1024 * 1024];
const TIMEOUT_MS = 120000;

function fail(what) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
}

function open(path, options = {}, protocols = undefined) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(base + path, protocols, { maxPayload: 64 * 1024 * 1024, ...options });
        const timer = setTimeout(() => reject(new Error(`opening ${path} timed out`)), TIMEOUT_MS);
        ws.once("open", () => { clearTimeout(timer); resolve(ws); });
        ws.once("error", (e) => { clearTimeout(timer); reject(e); });
    });
}

function next(ws) {
    return new Promise((resolve, reject) => {
        const done = () => {
            clearTimeout(timer);
            ws.off("message", onMessage);
            ws.off("close", onClose);
        };
        const onMessage = (data, isBinary) => { done(); resolve({ data, isBinary }); };
        const onClose = (code) => { done(); reject(new Error(`closed with ${code}`)); };
        const timer = setTimeout(() => { done(); reject(new Error("no message in time")); }, TIMEOUT_MS);
        ws.on("message", onMessage);
        ws.on("close", onClose);
    });
}

function closed(ws) {
    return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve(ws._closeCode);
        ws.once("close", (code) => resolve(code));
        ws.close(1000, "done");
    });
}

async function echo_matrix(deflate) {
    const ws = await open("/ws/echo", { perMessageDeflate: deflate }, ["coronet.echo.v1", "x"]);
    if (ws.protocol !== "coronet.echo.v1") fail(`subprotocol ${ws.protocol}`);
    const negotiated = ws.extensions.includes("permessage-deflate");
    if (negotiated !== deflate) fail(`permessage-deflate negotiated: ${negotiated}, offered: ${deflate}`);
    for (const size of SIZES) {
        // Text: a repeating pattern (compressible), binary: random bytes.
        const text = "coronet ".repeat(Math.ceil(size / 8)).slice(0, size);
        ws.send(text);
        let reply = await next(ws);
        if (reply.isBinary || reply.data.toString() !== text) fail(`text echo of ${size} bytes`);
        const bytes = crypto.randomBytes(size);
        ws.send(bytes);
        reply = await next(ws);
        if (!reply.isBinary || !bytes.equals(reply.data)) fail(`binary echo of ${size} bytes`);
    }
    const code = await closed(ws);
    if (code !== 1000) fail(`close code ${code}`);
    console.log(`ok: ws ${require("ws/package.json").version} echo ${SIZES.join(", ")} bytes, text and binary, deflate ${deflate}`);
}

async function chat() {
    const a = await open("/ws/chat"), b = await open("/ws/chat");
    const got = Promise.all([next(a), next(b)]);
    a.send("hello from node");
    const [ra, rb] = await got;
    if (ra.data.toString() !== "hello from node" || rb.data.toString() !== "hello from node") fail("chat");
    await Promise.all([closed(a), closed(b)]);
    console.log("ok: ws chat reaches every participant, the sender included");
}

(async () => {
    await echo_matrix(false);
    await echo_matrix(true);
    await chat();
})().catch((e) => fail(e.message));
