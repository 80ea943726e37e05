// aria2's npm clients, unchanged, driving Haul's daemon: the `aria2` package over HTTP and over
// WebSocket (with notifications), and `maria2` over WebSocket and over HTTP. Run by
// Aria2ClientsTest with HAUL_RPC (ws://... of the daemon's /jsonrpc), HAUL_TOKEN, FILE_URL (a
// file that downloads at once), SLOW_URL (one that takes seconds), DIR (where files go) and
// FILE_SIZE. Prints one line per step; exits 1 with the reason at the first failure.
import Aria2 from "aria2";
import WebSocket from "ws";

// maria2 extends the global WebSocket as it loads, which Node 20 has only behind a flag: give it
// ws's. And it names only a "module" entry, which Node does not read: import the file it names.
globalThis.WebSocket ??= WebSocket;
// and it takes request ids from the global crypto, which Node 18 (Debian 12's) has only as a module
globalThis.crypto ??= (await import("node:crypto")).webcrypto;
const { aria2: m2, close: m2close, createHTTP, open: m2open, system: m2system } =
  await import("maria2/dist/index.js");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const rpc = new URL(env("HAUL_RPC"));
const token = env("HAUL_TOKEN");
const fileUrl = env("FILE_URL");
const slowUrl = env("SLOW_URL");
const dir = env("DIR");
const fileSize = env("FILE_SIZE");

function check(ok, what) {
  if (!ok) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Resolves with the notification's GID when `name` arrives for `gid`. */
function notified(client, name, gid) {
  return new Promise((resolve) => {
    const listener = ([event]) => {
      if (event.gid === gid) {
        client.off(name, listener);
        resolve(event.gid);
      }
    };
    client.on(name, listener);
  });
}

async function waitStatus(call, gid, status, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const s = await call("tellStatus", gid, ["gid", "status", "completedLength", "totalLength"]);
    if (s.status === status) return s;
    if (Date.now() > until) throw new Error(`${gid} is ${s.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withAria2() {
  const client = new Aria2({
    host: rpc.hostname, port: Number(rpc.port), secure: false, secret: token, path: "/jsonrpc",
    WebSocket, fetch,
  });
  const call = (...a) => client.call(...a);

  // over HTTP first: the socket is not open yet
  const version = await call("getVersion");
  check(typeof version.version === "string", `aria2 over HTTP: getVersion ${version.version}`);
  const gid0 = await call("addUri", [fileUrl], { dir, out: "http.bin" });
  check(/^[0-9a-f]{16}$/.test(gid0), `aria2 over HTTP: addUri gives GID ${gid0}`);
  const done0 = await within(20000, waitStatus(call, gid0, "complete", 20000), "http.bin");
  check(done0.completedLength === fileSize, `aria2 over HTTP: ${gid0} complete, ${fileSize} bytes`);

  // then over WebSocket, with notifications
  await client.open();
  const gid1 = await call("addUri", [fileUrl], { dir, out: "ws.bin" });
  const completed = notified(client, "onDownloadComplete", gid1);
  await within(20000, Promise.race([completed, waitStatus(call, gid1, "complete", 20000)
    .then(() => completed)]), "onDownloadComplete");
  check(true, `aria2 over WebSocket: onDownloadComplete for ${gid1}`);
  const files = await call("getFiles", gid1);
  check(files[0].path.endsWith("ws.bin") && files[0].length === fileSize,
    `aria2: getFiles says ${files[0].path}, ${files[0].length} bytes`);

  // pause, unpause, remove a slow download, each confirmed by its notification
  const started = new Promise((resolve) => client.once("onDownloadStart", ([e]) => resolve(e.gid)));
  const gid2 = await call("addUri", [slowUrl], { dir, out: "slow.bin" });
  await within(20000, started, "onDownloadStart");
  check(true, `aria2: onDownloadStart for ${gid2}`);
  const paused = notified(client, "onDownloadPause", gid2);
  check((await call("pause", gid2)) === gid2, "aria2: pause answers the GID");
  await within(20000, paused, "onDownloadPause");
  check((await call("tellStatus", gid2, ["status"])).status === "paused", "aria2: tellStatus paused");
  const waiting = await call("tellWaiting", 0, 10, ["gid", "status"]);
  check(waiting.some((w) => w.gid === gid2), "aria2: tellWaiting lists the paused download");
  const restarted = notified(client, "onDownloadStart", gid2);
  check((await call("unpause", gid2)) === gid2, "aria2: unpause answers the GID");
  await within(20000, restarted, "onDownloadStart after unpause");
  check(true, "aria2: onDownloadStart after unpause");
  const stopped = notified(client, "onDownloadStop", gid2);
  check((await call("remove", gid2)) === gid2, "aria2: remove answers the GID");
  await within(20000, stopped, "onDownloadStop");
  const stoppedList = await call("tellStopped", 0, 100, ["gid", "status"]);
  check(stoppedList.some((s) => s.gid === gid2 && s.status === "removed"),
    "aria2: tellStopped lists it as removed");

  const [[stat], [methods]] = await client.multicall([["getGlobalStat"], ["system.listMethods"]]);
  check(Number(stat.numStopped) >= 3 && methods.includes("aria2.addUri"),
    `aria2: multicall (numStopped ${stat.numStopped})`);

  let refused = null;
  try {
    await call("addTorrent", "AAAA");
  } catch (e) {
    refused = e;
  }
  check(refused !== null && /not supported/.test(refused.message),
    `aria2: addTorrent refused: ${refused && refused.message}`);

  const wrong = new Aria2({
    host: rpc.hostname, port: Number(rpc.port), secure: false, secret: "wrong", path: "/jsonrpc",
    WebSocket, fetch,
  });
  let unauthorized = null;
  try {
    await wrong.call("getGlobalStat");
  } catch (e) {
    unauthorized = e;
  }
  check(unauthorized !== null && /Unauthorized/.test(unauthorized.message),
    "aria2: a wrong secret is Unauthorized");
  await client.close();
}

async function withMaria2() {
  const conn = await m2open(new WebSocket(rpc.href), { secret: token, timeout: 10000 });
  const version = await m2.getVersion(conn);
  check(typeof version.version === "string", `maria2 over WebSocket: getVersion ${version.version}`);
  const gid = await m2.addUri(conn, [fileUrl], { dir, out: "maria2.bin" });
  const done = new Promise((resolve) => {
    m2.onDownloadComplete(conn, (e) => {
      if (e.gid === gid) resolve(e.gid);
    });
  });
  await within(20000, done, "maria2 onDownloadComplete");
  const status = await m2.tellStatus(conn, gid);
  check(status.status === "complete" && status.completedLength === fileSize,
    `maria2: ${gid} complete, ${status.completedLength} bytes`);
  const slow = await m2.addUri(conn, [slowUrl], { dir, out: "maria2-slow.bin" });
  check((await m2.forcePause(conn, slow)) === slow, "maria2: forcePause");
  check((await m2.unpause(conn, slow)) === slow, "maria2: unpause");
  check((await m2.forceRemove(conn, slow)) === slow, "maria2: forceRemove");
  const [stat, methods] = await m2system.multicall(conn,
    { methodName: "aria2.getGlobalStat", params: [] },
    { methodName: "system.listNotifications", params: [] });
  check(Array.isArray(stat) && Array.isArray(methods),
    `maria2: multicall (numActive ${stat[0].numActive})`);
  m2close(conn);

  const http = await m2open(createHTTP(rpc.href.replace(/^ws/, "http"), { secret: token }));
  const active = await m2.tellActive(http);
  check(Array.isArray(active), `maria2 over HTTP: tellActive (${active.length} active)`);
  m2close(http);
}

try {
  await withAria2();
  await withMaria2();
  console.log("all ok");
  process.exit(0);
} catch (e) {
  console.log(String(e && e.stack || e));
  process.exit(1);
}
