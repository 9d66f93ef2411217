// The appliance's Redis server driven by ioredis, the most used Node.js client, as an
// application would use it: its connect handshake (ready check through INFO, CLIENT SETNAME,
// SELECT), buffers, pipelines and auto-pipelining, MULTI/EXEC with WATCH from two clients,
// replies turned into objects, scanStream, pattern subscriptions, blocking pops with timeouts,
// and error replies as rejected promises.
// Usage: NODE_PATH=.cache/node/node_modules node tools/harness/redis_ioredis.js HOST PORT
// (tools/harness/redis_clients.py's `ioredis` scenario runs it). Prints one `ok:` line per
// check; exits 1 at the first failure.
"use strict";

const Redis = require("ioredis");
const assert = require("node:assert/strict");

const [host, portText] = process.argv.slice(2);
const port = Number(portText);
const TIMEOUT_MS = 10000;

function ok(what) {
    console.log(`ok: ioredis: ${what}`);
}

function connect(options = {}) {
    return new Redis({host, port, maxRetriesPerRequest: 1, connectTimeout: TIMEOUT_MS,
                      commandTimeout: TIMEOUT_MS, retryStrategy: () => null, ...options});
}

function ready(client) {
    return new Promise((resolve, reject) => {
        client.once("ready", resolve);
        client.once("error", reject);
    });
}

async function main() {
    const version = require("ioredis/package.json").version;
    // db and connectionName make the handshake select and name the connection before 'ready'.
    const r = connect({db: 1, connectionName: "coronet-ioredis"});
    await ready(r);
    assert.equal(await r.client("GETNAME"), "coronet-ioredis");
    assert.match(await r.client("INFO"), / db=1 /);
    ok(`${version}: connected (ready check through INFO, CLIENT SETNAME, SELECT 1)`);
    await r.flushall();

    const binary = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]);
    assert.equal(await r.set("io:bin", binary), "OK");
    assert.deepEqual(await r.getBuffer("io:bin"), binary);
    assert.equal(await r.set("io:nx", "1", "NX"), "OK");
    assert.equal(await r.set("io:nx", "2", "NX"), null);
    ok("SET/GET of binary Buffers, SET NX");

    const pipeline = r.pipeline();
    for (let i = 0; i < 1000; i++) pipeline.incr("io:counter");
    const results = await pipeline.exec();
    assert.equal(results.length, 1000);
    results.forEach(([error, value], i) => {
        assert.equal(error, null);
        assert.equal(value, i + 1);
    });
    ok("a pipeline of 1 000 INCRs, every reply in order");

    const auto = connect({enableAutoPipelining: true, db: 1});
    await ready(auto);
    await Promise.all(Array.from({length: 200}, (_, i) => auto.set(`io:auto:${i}`, String(i))));
    const values = await Promise.all(Array.from({length: 200}, (_, i) => auto.get(`io:auto:${i}`)));
    values.forEach((value, i) => assert.equal(value, String(i)));
    ok("auto-pipelining: 200 SETs and 200 GETs in flight at once");

    await assert.rejects(r.incr("io:bin"), (e) => {
        assert.equal(e.name, "ReplyError");
        assert.equal(e.message, "ERR value is not an integer or out of range");
        return true;
    });
    await assert.rejects(r.lpush("io:bin", "x"), /^ReplyError: WRONGTYPE /);
    ok("error replies reject with ReplyError and Redis's texts");

    assert.equal(await r.hset("io:hash", {name: "coronet", port: 6379}), 2);
    assert.deepEqual(await r.hgetall("io:hash"), {name: "coronet", port: "6379"});
    await r.zadd("io:z", 3, "c", 1, "a", 2.5, "b");
    assert.deepEqual(await r.zrange("io:z", 0, -1, "WITHSCORES"), ["a", "1", "b", "2.5", "c", "3"]);
    ok("HSET of an object and HGETALL back into one; ZADD and ZRANGE WITHSCORES");

    const keys = Array.from({length: 300}, (_, i) => `io:scan:${i}`);
    await r.mset(...keys.flatMap((k) => [k, "v"]));
    const seen = new Set();
    await new Promise((resolve, reject) => {
        const stream = r.scanStream({match: "io:scan:*", count: 25});
        stream.on("data", (batch) => batch.forEach((k) => seen.add(k)));
        stream.on("end", resolve);
        stream.on("error", reject);
    });
    assert.equal(seen.size, keys.length);
    ok("scanStream with MATCH visits all 300 keys");

    // WATCH: a transaction whose key another client changes returns null; unchanged, it runs.
    const other = connect({db: 1});
    await ready(other);
    await r.set("io:balance", 10);
    await r.watch("io:balance");
    await other.incrby("io:balance", 5);
    assert.equal(await r.multi().decrby("io:balance", 3).exec(), null);
    await r.watch("io:balance");
    const done = await r.multi().decrby("io:balance", 3).get("io:balance").exec();
    assert.deepEqual(done, [[null, 12], [null, "12"]]);
    ok("MULTI/EXEC with WATCH: aborted by another client's write, run when untouched");

    // Pub/sub with a pattern.
    const subscriber = connect();
    await ready(subscriber);
    const message = new Promise((resolve) =>
        subscriber.on("pmessage", (pattern, channel, text) => resolve([pattern, channel, text])));
    assert.equal(await subscriber.psubscribe("io.news.*"), 1);
    assert.equal(await r.publish("io.news.today", "hello"), 1);
    assert.deepEqual(await message, ["io.news.*", "io.news.today", "hello"]);
    ok("PSUBSCRIBE and a pmessage from PUBLISH");

    // Blocking pops: a timeout, then one served by another client's push.
    const started = Date.now();
    assert.equal(await r.blpop("io:queue", 0.2), null);
    assert.ok(Date.now() - started >= 150, "BLPOP returned before its timeout");
    const popped = other.blpop("io:queue", 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await r.rpush("io:queue", "job");
    assert.deepEqual(await popped, ["io:queue", "job"]);
    ok("BLPOP times out with null, and is served by another client's RPUSH");

    for (const client of [r, auto, other, subscriber]) await client.quit();
    ok("QUIT on every connection");
}

const watchdog = setTimeout(() => {
    console.error("FAIL: ioredis: the scenario did not finish in 60 s");
    process.exit(1);
}, 60000);
main().then(() => clearTimeout(watchdog)).catch((error) => {
    console.error(`FAIL: ioredis: ${error.stack || error}`);
    process.exit(1);
});
