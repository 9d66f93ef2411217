// The Node.js WebSocket baseline of the Linux guest (tools/linux_guest; run by its /init on
// Debian's node with Debian's node-ws, the npm `ws` module): Coronet's two default endpoints
// on one port, /ws/echo (every message back as it came, text as text, binary as binary) and
// /ws/chat (a room: every message goes to every participant, the sender included).
//
// Usage: node ws_server.js [port]   (default 8081; listens on 0.0.0.0 like nginx and redis)
'use strict';

const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const PORT = Number(process.argv[2] || 8081);
// Coronet's echo takes messages up to 16 MiB; the slack keeps a message of exactly 16 MiB
// (plus framing) from being refused here first.
const MAX_MESSAGE = 16 * 1024 * 1024 + 64 * 1024;
// What Coronet's /ws/echo selects when a client offers it (the first offered that it knows):
// a client that asks for one and gets none would fail its handshake (ws, browsers).
const ECHO_SUBPROTOCOLS = new Set(['echo', 'coronet.echo.v1']);
const BACKLOG = 65535;  // as nginx.conf's listen

// Both endpoints without permessage-deflate (Coronet's is an option a benchmark turns on by
// itself) and without ws's own client set (the chat keeps its room).
const common = { noServer: true, perMessageDeflate: false, maxPayload: MAX_MESSAGE, clientTracking: false };

const echo = new WebSocketServer({
  ...common,
  handleProtocols: (offered) => {
    for (const name of offered) if (ECHO_SUBPROTOCOLS.has(name)) return name;
    return false;
  },
});
echo.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => ws.terminate());
});

const chat = new WebSocketServer(common);
const room = new Set();
chat.on('connection', (ws) => {
  room.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const peer of room) {
      if (peer.readyState === WebSocket.OPEN) peer.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => room.delete(ws));
  ws.on('error', () => ws.terminate());
});

const endpoints = { '/ws/echo': echo, '/ws/chat': chat };

function refuse(socket, status) {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const server = http.createServer((req, res) => {
  // A plain request for an endpoint: it only speaks WebSocket.
  res.writeHead(endpoints[req.url.split('?')[0]] ? 426 : 404, { 'Content-Length': '0' });
  res.end();
});
server.on('upgrade', (req, socket, head) => {
  const wss = endpoints[req.url.split('?')[0]];
  if (!wss) {
    refuse(socket, '404 Not Found');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
server.on('clientError', (err, socket) => socket.destroy());
server.listen({ port: PORT, host: '0.0.0.0', backlog: BACKLOG }, () => {
  console.log(`ws_server: node ${process.version}, ws on :${PORT} (/ws/echo, /ws/chat)`);
});
