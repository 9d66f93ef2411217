// The dashboard's logic: takes the status document as /ws/status pushes it every second (or
// polls GET /status once a second when WebSocket is unavailable, trying the socket again now and
// then), turns counters into per-second rates from successive samples, and renders them. Plain DOM code, no framework and no build step, so
// the file the image serves is the file in the repository. Any field may be missing (an older or
// newer image): it then shows as a dash instead of breaking the page.
"use strict";

(() => {
  const POLL_INTERVAL_MS = 1000;
  const REQUEST_TIMEOUT_MS = 2500;  // a poll with no answer by then counts as a failure
  const STALE_AFTER_MS = 3500;      // no successful poll for this long: the numbers are old
  const HISTORY_LENGTH = 60;        // sparkline samples: about a minute
  const SOCKET_RETRY_MS = 10000;    // polling: how often to try the WebSocket feed again
  const SPARK_WIDTH = 240;          // the sparkline's viewBox (the page's <svg> has none)
  const SPARK_HEIGHT = 60;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const DASH = "—";

  const state = {
    samples: 0,          // successful polls
    previous: null,      // the last sample: {status, at} (at: ms, the time base for rates)
    lastSuccessAt: 0,    // performance.now() of the last successful poll
    error: null,         // why the latest poll failed, or null if it succeeded
    transport: "polling",  // "websocket" while /ws/status feeds the page
    history: { requests: [], rx: [], tx: [] },  // sparkline samples (per second), oldest first
  };

  // Formatting ---------------------------------------------------------------------------------

  const integerFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const oneDecimalFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

  const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

  function formatCount(n) {
    return isNumber(n) ? integerFormat.format(n) : DASH;
  }

  // Rates below 10 keep a decimal: at idle the page's own polls make about 1.0/s.
  function formatRate(n) {
    if (!isNumber(n)) return DASH;
    return n < 9.95 ? oneDecimalFormat.format(n) : integerFormat.format(n);
  }

  function formatBytes(n) {
    if (!isNumber(n)) return DASH;
    let unit = 0;
    while (Math.abs(n) >= 1024 && unit < BYTE_UNITS.length - 1) {
      n /= 1024;
      unit += 1;
    }
    if (unit === 0) return `${integerFormat.format(n)} B`;
    const digits = Math.abs(n) < 100 ? oneDecimalFormat : integerFormat;
    return `${digits.format(n)} ${BYTE_UNITS[unit]}`;
  }

  function formatByteRate(n) {
    return isNumber(n) ? `${formatBytes(n)}/s` : DASH;
  }

  // "3d 04h 05m 06s", leading zero units left out ("2m 05s", "7s").
  function formatUptime(ms) {
    if (!isNumber(ms) || ms < 0) return DASH;
    let seconds = Math.floor(ms / 1000);
    const days = Math.floor(seconds / 86400);
    seconds -= days * 86400;
    const hours = Math.floor(seconds / 3600);
    seconds -= hours * 3600;
    const minutes = Math.floor(seconds / 60);
    seconds -= minutes * 60;
    const pad = (v) => String(v).padStart(2, "0");
    if (days > 0) return `${days}d ${pad(hours)}h ${pad(minutes)}m ${pad(seconds)}s`;
    if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
    if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
    return `${seconds}s`;
  }

  // Reading the status document ----------------------------------------------------------------

  // The number at a dotted path ("http.requests"), or undefined if any part is missing or not a
  // number.
  function numberAt(object, path) {
    let value = object;
    for (const key of path.split(".")) {
      if (value === null || typeof value !== "object") return undefined;
      value = value[key];
    }
    return isNumber(value) ? value : undefined;
  }

  function textAt(object, key) {
    const value = object && typeof object === "object" ? object[key] : undefined;
    return typeof value === "string" && value.length > 0 ? value : undefined;
  }

  // Per-second increase of a counter between two samples; undefined without both values, or when
  // the counter went down (the appliance restarted, or the device was replaced).
  function ratePerSecond(current, previous, seconds) {
    if (!isNumber(current) || !isNumber(previous) || !(seconds > 0) || current < previous) return undefined;
    return (current - previous) / seconds;
  }

  // Rendering ----------------------------------------------------------------------------------

  function show(id, raw, text) {
    const element = document.getElementById(id);
    if (!element) return;
    element.textContent = text;
    element.dataset.value = isNumber(raw) ? String(raw) : "";
  }

  function remember(series, value) {
    if (!isNumber(value)) return;
    series.push(value);
    if (series.length > HISTORY_LENGTH) series.shift();
  }

  const peakOf = (values) => values.reduce((a, b) => Math.max(a, b), 0);

  // SVG path data for one series on a shared scale, right-aligned: the newest sample sits at the
  // right edge and older ones scroll left. `area` closes the line down to the baseline.
  function sparkPaths(values, scale) {
    const step = SPARK_WIDTH / (HISTORY_LENGTH - 1);
    const offset = (HISTORY_LENGTH - values.length) * step;
    const points = values.map((v, i) => {
      const x = offset + i * step;
      const y = SPARK_HEIGHT - 2 - (v / scale) * (SPARK_HEIGHT - 6);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    if (points.length === 0) return { line: "", area: "" };
    if (points.length === 1) {
      const y = points[0].split(",")[1];
      return { line: `M${SPARK_WIDTH - 3},${y} L${SPARK_WIDTH},${y}`, area: "" };
    }
    const line = `M${points.join(" L")}`;
    return { line, area: `${line} L${SPARK_WIDTH},${SPARK_HEIGHT} L${offset.toFixed(1)},${SPARK_HEIGHT} Z` };
  }

  // The SVG's path with these classes, made (with the SVG's viewBox) on first use, so the page
  // holds only an empty <svg> per sparkline.
  function sparkPath(svg, classes) {
    let path = svg.querySelector(`path.${classes.join(".")}`);
    if (!path) {
      svg.setAttribute("viewBox", `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`);
      svg.setAttribute("preserveAspectRatio", "none");
      path = svg.appendChild(document.createElementNS(SVG_NS, "path"));
      path.setAttribute("class", classes.join(" "));
    }
    return path;
  }

  // Draws each named series as a line (class "line <name>") into the SVG, all on one vertical
  // scale; the series named `filled` also gets its area shaded, beneath the lines.
  function drawSparkline(svgId, series, filled) {
    const svg = document.getElementById(svgId);
    if (!svg) return;
    const peak = Math.max(0, ...Object.values(series).map(peakOf));
    const scale = peak > 0 ? peak : 1;
    if (filled) sparkPath(svg, ["area"]).setAttribute("d", sparkPaths(series[filled], scale).area);
    for (const [name, values] of Object.entries(series)) {
      sparkPath(svg, ["line", name]).setAttribute("d", sparkPaths(values, scale).line);
    }
  }

  function renderSparklines() {
    const { requests, rx, tx } = state.history;
    drawSparkline("requests-spark", { requests }, "requests");
    show("requests-peak", requests.length ? peakOf(requests) : undefined, requests.length ? `${formatRate(peakOf(requests))}/s` : DASH);
    show("requests-spark-span", requests.length, String(requests.length));
    drawSparkline("traffic-spark", { rx, tx });
    const trafficPeak = rx.length || tx.length ? Math.max(peakOf(rx), peakOf(tx)) : undefined;
    show("traffic-peak", trafficPeak, formatByteRate(trafficPeak));
  }

  function renderMemory(status) {
    const total = numberAt(status, "memory.total_bytes");
    const used = numberAt(status, "memory.used_bytes");
    const free = numberAt(status, "memory.free_bytes");
    show("memory-used", used, formatBytes(used));
    show("memory-total", total, formatBytes(total));
    show("memory-free", free, formatBytes(free));
    const heapUsed = numberAt(status, "memory.heap_used_bytes");
    const heap = numberAt(status, "memory.heap_bytes");
    show("heap-used", heapUsed, isNumber(heap) ? `${formatBytes(heapUsed)} of ${formatBytes(heap)}` : formatBytes(heapUsed));

    const bar = document.getElementById("memory-bar");
    if (!bar) return;
    const percent = isNumber(used) && isNumber(total) && total > 0 ? Math.min(100, (used / total) * 100) : 0;
    bar.querySelector(".fill").style.width = `${percent.toFixed(1)}%`;
    bar.setAttribute("aria-valuenow", percent.toFixed(1));
    bar.title = isNumber(used) && isNumber(total) ? `${percent.toFixed(1)} % used` : "unknown";
    bar.classList.toggle("warn", percent >= 75 && percent < 90);
    bar.classList.toggle("high", percent >= 90);
  }

  function cell(text, raw) {
    const td = document.createElement("td");
    td.textContent = text;
    if (raw !== undefined) td.dataset.value = isNumber(raw) ? String(raw) : "";
    return td;
  }

  // Adds per-device rates into the all-interface totals; a rate no device could give stays unknown.
  function addRate(totals, key, value) {
    if (isNumber(value)) totals[key] = (totals[key] || 0) + value;
  }

  // One row per interface, rebuilt each sample (a handful of rows; textContent only, so a device
  // name can never inject markup). Returns the rates summed over all interfaces.
  function renderNetwork(status, previous, seconds) {
    const totals = {};
    const body = document.getElementById("net-rows");
    const devices = Array.isArray(status.net) ? status.net.filter((d) => d && typeof d === "object") : null;
    const before = new Map();
    if (previous && Array.isArray(previous.net)) {
      for (const d of previous.net) if (d && typeof d.name === "string") before.set(d.name, d);
    }
    const rows = [];
    if (!devices || devices.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell(devices ? "no network devices" : "not reported");
      td.colSpan = 9;
      tr.append(td);
      rows.push(tr);
    } else {
      devices.forEach((device, index) => {
        const name = textAt(device, "name") || `device ${index}`;
        const old = before.get(name);
        const rate = (key) => (old ? ratePerSecond(numberAt(device, key), numberAt(old, key), seconds) : undefined);
        const rxPackets = rate("rx_packets");
        const rxBytes = rate("rx_bytes");
        const txPackets = rate("tx_packets");
        const txBytes = rate("tx_bytes");
        addRate(totals, "rxPackets", rxPackets);
        addRate(totals, "rxBytes", rxBytes);
        addRate(totals, "txPackets", txPackets);
        addRate(totals, "txBytes", txBytes);
        const dropped = ["rx_dropped", "tx_dropped"].map((k) => numberAt(device, k));
        const droppedTotal = dropped.every(isNumber) ? dropped[0] + dropped[1] : undefined;
        const tr = document.createElement("tr");
        tr.id = `net-${index}`;
        tr.append(
          cell(name),
          cell(formatRate(rxPackets), rxPackets),
          cell(formatByteRate(rxBytes), rxBytes),
          cell(formatRate(txPackets), txPackets),
          cell(formatByteRate(txBytes), txBytes),
          cell(formatBytes(numberAt(device, "rx_bytes")), numberAt(device, "rx_bytes")),
          cell(formatBytes(numberAt(device, "tx_bytes")), numberAt(device, "tx_bytes")),
          cell(formatCount(droppedTotal), droppedTotal),
          cell(formatCount(numberAt(device, "interrupts")), numberAt(device, "interrupts")),
        );
        rows.push(tr);
      });
    }
    if (body) body.replaceChildren(...rows);
    return totals;
  }

  // One row per upstream of each proxied prefix (textContent only, as for the devices).
  function renderUpstreams(status, previous, seconds) {
    const body = document.getElementById("upstream-rows");
    const proxies = Array.isArray(status.proxies) ? status.proxies.filter((p) => p && typeof p === "object") : [];
    const before = new Map();
    if (previous && Array.isArray(previous.proxies)) {
      for (const p of previous.proxies) {
        for (const u of Array.isArray(p && p.upstreams) ? p.upstreams : []) before.set(`${textAt(p, "prefix")} ${textAt(u, "name")}`, u);
      }
    }
    const rows = [];
    for (const proxy of proxies) {
      const prefix = textAt(proxy, "prefix");
      for (const upstream of Array.isArray(proxy.upstreams) ? proxy.upstreams : []) {
        const name = textAt(upstream, "name");
        const old = before.get(`${prefix} ${name}`);
        const rate = old ? ratePerSecond(numberAt(upstream, "requests"), numberAt(old, "requests"), seconds) : undefined;
        const answered = numberAt(upstream, "requests") > 0;  // no latency before an answer
        const avg = answered ? numberAt(upstream, "latency_avg_us") : undefined;
        const max = answered ? numberAt(upstream, "latency_max_us") : undefined;
        const tr = document.createElement("tr");
        tr.className = upstream.up === false ? "down" : "";
        tr.append(
          cell(prefix),
          cell(name),
          cell(upstream.up === false ? "down" : "up"),
          cell(`${formatCount(numberAt(upstream, "open"))} / ${formatCount(numberAt(upstream, "idle"))}`, numberAt(upstream, "open")),
          cell(formatRate(rate), rate),
          cell(formatCount(numberAt(upstream, "requests")), numberAt(upstream, "requests")),
          cell(formatCount(numberAt(upstream, "failures")), numberAt(upstream, "failures")),
          cell(formatCount(numberAt(upstream, "in_flight")), numberAt(upstream, "in_flight")),
          cell(isNumber(avg) && isNumber(max) ? `${(avg / 1000).toFixed(2)} / ${(max / 1000).toFixed(1)} ms` : DASH, avg),
        );
        rows.push(tr);
      }
    }
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("no proxied prefixes (boot option http.proxy=)");
      td.colSpan = 9;
      tr.append(td);
      rows.push(tr);
    }
    if (body) body.replaceChildren(...rows);
    for (const [id, path] of [["outbound-established", "outbound.established"], ["outbound-attempts", "outbound.attempts"],
                              ["outbound-dns", "outbound.dns.lookups"]]) {
      const value = numberAt(status, path);
      show(id, value, formatCount(value));
    }
  }

  function renderTraffic(totals) {
    show("net-rx-bytes-rate", totals.rxBytes, formatByteRate(totals.rxBytes));
    show("net-tx-bytes-rate", totals.txBytes, formatByteRate(totals.txBytes));
    show("net-rx-packets-rate", totals.rxPackets, formatRate(totals.rxPackets));
    show("net-tx-packets-rate", totals.txPackets, formatRate(totals.txPackets));
    remember(state.history.rx, totals.rxBytes);
    remember(state.history.tx, totals.txBytes);
  }

  function render(status, receivedAt) {
    // Rates use the appliance's own uptime as the time base when it has one: the interval
    // between the two snapshots, not between two network round trips.
    const uptime = numberAt(status, "uptime_ms");
    let previous = state.previous;
    const previousUptime = previous ? numberAt(previous.status, "uptime_ms") : undefined;
    if (isNumber(uptime) && isNumber(previousUptime) && uptime < previousUptime) {
      previous = null;  // restarted: old counters mean nothing now
      state.history = { requests: [], rx: [], tx: [] };
    }
    let seconds;
    if (previous) {
      seconds = isNumber(uptime) && isNumber(previousUptime) ? (uptime - previousUptime) / 1000 : (receivedAt - previous.at) / 1000;
    }
    const prior = previous ? previous.status : null;
    const rateOf = (path) => (prior ? ratePerSecond(numberAt(status, path), numberAt(prior, path), seconds) : undefined);

    const board = textAt(status, "board");
    show("board", undefined, board || DASH);
    show("version", undefined, textAt(status, "version") || DASH);
    document.title = board ? `${board} · Coronet dashboard` : "Coronet dashboard";

    show("uptime", uptime, formatUptime(uptime));
    show("server-time", undefined, textAt(status, "time") || DASH);

    const requests = numberAt(status, "http.requests");
    const requestRate = rateOf("http.requests");
    show("requests", requests, formatCount(requests));
    show("requests-rate", requestRate, formatRate(requestRate));
    remember(state.history.requests, requestRate);

    for (const [id, path] of [
      ["connections-open", "http.connections_open"],
      ["connections-total", "http.connections_total"],
      ["responses-4xx", "http.responses_4xx"],
      ["responses-5xx", "http.responses_5xx"],
      ["coroutines-alive", "coroutines.alive"],
      ["coroutines-spawned", "coroutines.spawned"],
      ["coroutine-switches", "coroutines.switches"],
      ["stack-pcbs", "stack.tcp_pcbs.used"],
      ["connections-limit", "http.max_connections"],
      ["connections-reclaimed", "http.connections_reclaimed"],
      ["stack-pages", "memory.stack_pages_mapped"],
      ["stack-page-faults", "memory.stack_page_faults"],
      ["memory-refusals", "memory.refusals"],
      ["stack-rx-lent", "stack.rx_lent"],
      ["stack-pbufs", "stack.pbuf_pool.used"],
      ["stack-tx-backlog", "stack.tx_backlog"],
    ]) {
      const value = numberAt(status, path);
      show(id, value, formatCount(value));
    }
    // The Redis app (absent from /status when it did not start).
    const redisRate = rateOf("redis.commands");
    show("redis-ops-rate", redisRate, isNumber(redisRate) ? `${formatRate(redisRate)} ops/s` : DASH);
    for (const [id, path] of [
      ["redis-clients", "redis.clients"],
      ["redis-commands", "redis.commands"],
      ["redis-keys", "redis.keys"],
      ["redis-expired", "redis.expired_keys"],
      ["redis-evicted", "redis.evicted_keys"],
    ]) {
      const value = numberAt(status, path);
      show(id, value, formatCount(value));
    }
    const hits = numberAt(status, "redis.keyspace_hits");
    const misses = numberAt(status, "redis.keyspace_misses");
    show("redis-hits", hits, isNumber(hits) && isNumber(misses) ? `${formatCount(hits)} / ${formatCount(misses)}` : DASH);
    // The WebSocket endpoints, summed (absent from older images).
    const wsRate = rateOf("websocket.messages_in");
    show("ws-messages-rate", wsRate, isNumber(wsRate) ? `${formatRate(wsRate)} msg/s in` : DASH);
    for (const [id, path] of [
      ["ws-open", "websocket.open"],
      ["ws-messages-in", "websocket.messages_in"],
      ["ws-messages-out", "websocket.messages_out"],
      ["ws-back-pressured", "websocket.back_pressured"],
      ["ws-dropped", "websocket.dropped"],
    ]) {
      const value = numberAt(status, path);
      show(id, value, formatCount(value));
    }
    const plain = numberAt(status, "websocket.compressed_out_plain");
    const wire = numberAt(status, "websocket.compressed_out_wire");
    const ratio = isNumber(plain) && isNumber(wire) && wire > 0 ? plain / wire : undefined;
    show("ws-compression", ratio, isNumber(ratio) ? `${oneDecimalFormat.format(ratio)}×` : DASH);
    const closes = status.websocket && status.websocket.closes;
    const closeText = closes && typeof closes === "object"
      ? Object.entries(closes).filter(([, n]) => isNumber(n) && n > 0).map(([kind, n]) => `${kind.replace(/_/g, " ")} ${formatCount(n)}`).join(", ")
      : "";
    const closeTotal = closes ? Object.values(closes).filter(isNumber).reduce((a, b) => a + b, 0) : undefined;
    show("ws-closes", closeTotal, closeText || (closes ? "none" : DASH));
    // Interrupts a driver found lost (it polled anyway): summed over the devices.
    const missed = Array.isArray(status.net)
      ? status.net.map((d) => numberAt(d, "interrupts_missed")).reduce((a, b) => (isNumber(a) && isNumber(b) ? a + b : undefined), 0)
      : undefined;
    show("stack-missed-interrupts", missed, formatCount(missed));
    // Input and output buffers held by connections; idle keep-alive connections hold none.
    const held = numberAt(status, "connection_buffers.bytes_held");
    show("stack-connection-buffers", held, formatBytes(held));
    // All in: stack pages, heap state and lwIP's objects, per open connection.
    const perConnection = numberAt(status, "connections.bytes_per_connection.total");
    show("connection-bytes", perConnection, formatBytes(perConnection));
    const switchRate = rateOf("coroutines.switches");
    show("coroutine-switches-rate", switchRate, formatRate(switchRate));

    renderMemory(status);
    renderUpstreams(status, prior, seconds);
    renderTraffic(renderNetwork(status, prior, seconds));
    renderSparklines();

    state.previous = { status, at: receivedAt };
  }

  // The connection indicator: live, stale (no fresh sample for a while, no error yet) or
  // unreachable (the latest poll failed, with why).
  function renderConnection() {
    const label = document.getElementById("connection-state");
    let mode;
    let text;
    const age = performance.now() - state.lastSuccessAt;
    if (state.error) {
      mode = "unreachable";
      text = `unreachable: ${state.error}`;
    } else if (state.samples === 0) {
      mode = "connecting";
      text = "connecting…";
    } else if (age > STALE_AFTER_MS) {
      mode = "stale";
      text = `stale: no update for ${Math.round(age / 1000)} s`;
    } else {
      mode = "live";
      text = state.transport === "websocket" ? "live (WebSocket)" : "live (polling)";
    }
    document.body.dataset.state = mode;
    if (label) label.textContent = text;
  }

  function describeError(error) {
    if (error && error.name === "AbortError") return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    if (error instanceof SyntaxError) return "the reply is not valid JSON";
    return (error && error.message) || String(error);
  }

  // One status document, from either source.
  function accept(status) {
    if (status === null || typeof status !== "object" || Array.isArray(status)) throw new Error("the reply is not a JSON object");
    const now = performance.now();
    render(status, now);
    state.samples += 1;
    state.lastSuccessAt = now;
    state.error = null;
    document.body.dataset.samples = String(state.samples);
    document.body.dataset.transport = state.transport;
    show("samples", state.samples, formatCount(state.samples));
    const updated = document.getElementById("updated");
    if (updated) {
      const wall = new Date();
      updated.textContent = wall.toLocaleTimeString();
      updated.dateTime = wall.toISOString();
      updated.dataset.value = String(wall.getTime());
    }
  }

  // The pushed feed: /ws/status sends the document on connect and every second. When it cannot
  // be opened or drops, the page polls instead (onFailure) and tries the socket again later.
  function openFeed(onFailure) {
    if (typeof WebSocket !== "function") return onFailure();
    const url = new URL("ws/status", document.baseURI);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      return onFailure();
    }
    socket.onopen = () => {
      state.transport = "websocket";
    };
    socket.onmessage = (event) => {
      try {
        accept(JSON.parse(event.data));
      } catch (error) {
        state.error = describeError(error);
      }
      renderConnection();
    };
    socket.onclose = () => {
      state.transport = "polling";
      document.body.dataset.transport = state.transport;
      onFailure();
    };
  }

  // Without the feed: poll, and try the feed again a while later (each failure schedules one try).
  let polling = false;
  function fallBack() {
    if (!polling) {
      polling = true;
      poll();
    }
    setTimeout(() => openFeed(fallBack), SOCKET_RETRY_MS);
  }

  async function poll() {
    if (state.transport === "websocket") {
      polling = false;  // the feed took over
      return;
    }
    const started = performance.now();
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch("status", {
        cache: "no-store",
        headers: { Accept: "application/json" },
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      accept(await response.json());
    } catch (error) {
      state.error = describeError(error);
    } finally {
      clearTimeout(timeout);
      renderConnection();
      // One poll at a time, started a second after the previous one started.
      setTimeout(poll, Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
    }
  }

  // Between polls the indicator still ages, so a hung request turns the page stale.
  setInterval(renderConnection, 500);
  // ?transport=polling keeps the page on GET /status (to test the fallback).
  if (new URLSearchParams(location.search).get("transport") === "polling") {
    polling = true;
    poll();
  } else {
    openFeed(fallBack);
  }
})();
