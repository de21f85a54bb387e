// The floor of bench/realtime.ts: a bare `ws` server speaking the same frames as Neptuno's /ws
// (welcome, subscribe → subscribed, message) with no authentication, no authorization, no
// replay buffer and no limits. A broadcast serializes the frame once and sends it to every
// subscriber of the channel, which is the least any websocket server must do.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { startControl } from '../realtime/control.js';

const subscribers = new Map<string, Set<WebSocket>>();
const lastId = new Map<string, number>();

const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
let connections = 0;

wss.on('connection', (ws) => {
  const mine = new Set<string>();
  ws.send(JSON.stringify({ type: 'welcome', connectionId: String(++connections), actor: { kind: 'anonymous' } }));
  ws.on('message', (raw) => {
    let frame: { type?: string; channel?: string; ref?: string };
    try {
      frame = JSON.parse(String(raw)) as typeof frame;
    } catch {
      ws.send(JSON.stringify({ type: 'error', code: 'bad_frame', message: 'not JSON' }));
      return;
    }
    if (frame.type === 'subscribe' && typeof frame.channel === 'string') {
      let set = subscribers.get(frame.channel);
      if (!set) subscribers.set(frame.channel, (set = new Set()));
      set.add(ws);
      mine.add(frame.channel);
      ws.send(JSON.stringify({ type: 'subscribed', channel: frame.channel, ref: frame.ref }));
    } else if (frame.type === 'ping') ws.send('{"type":"pong"}');
  });
  ws.on('close', () => {
    for (const c of mine) subscribers.get(c)?.delete(ws);
  });
});

const control = await startControl((channel, data) => {
  const id = (lastId.get(channel) ?? 0) + 1;
  lastId.set(channel, id);
  const frame = JSON.stringify({ type: 'message', channel, id: String(id), data, at: new Date().toISOString() });
  for (const ws of subscribers.get(channel) ?? []) ws.send(frame);
});

await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
const { port } = http.address() as import('node:net').AddressInfo;
console.log(`control ${control}`);
console.log(`listening http://127.0.0.1:${port}`);
process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  http.close(() => process.exit(0));
});
