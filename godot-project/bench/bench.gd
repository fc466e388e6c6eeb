# Benchmarks RustWebSocketPeer side by side with the engine's WebSocketPeer, in one
# headless process, alternating the two classes inside every round.
#
#   godot --headless --path godot-project --script res://bench/bench.gd \
#         [-- --rounds=N --quick --json=PATH --only=TEXT --duration=SECONDS]
#
#   --rounds=N       rounds (default 5, 1 with --quick); each round measures every
#                    workload once per class, the class that goes first alternating
#   --quick          short measurements, 1 round, 50 connections (< 1 min)
#   --json=PATH      where the results go (default res://../reports/bench/bench.json);
#                    res://, user://, absolute, or relative to the working directory
#   --only=A,B       only the measurements whose key contains A or B, or is A exactly when
#                    written "A$" (development aid;
#                    keys: echo_32B_binary, stream_c2s_64KiB, json_state_s2c_deflate, poll_idle_1000,
#                    call_get_ready_state, memory, connect_rate, wss_echo_64KiB, ...)
#   --duration=S     seconds per throughput / poll measurement (default 0.6, quick 0.2)
#   --classes=A,B    only these classes (development aid, e.g. for strace; no ratios then)
#   --link=LABEL     only the JSON stream on a limited link, labelled LABEL (e.g. 10mbit): for a
#                    process that scripts/bench --link started in a network namespace whose
#                    loopback is limited with tc (see bench/json_stream_bench.gd)
#   --updates-out=PATH  also write the JSON stream's updates there, one per line
#
# Workloads (every peer pair is client and server of the SAME class, over 127.0.0.1):
#   echo      the client keeps a window of messages in flight (enough that the socket
#             never idles: 64 messages up to 1 KiB, 32 x 64 KiB, 3 x 1 MiB, i.e.
#             clamp(2 MiB / size, 3, 64)); the server echoes each one in the mode it
#             came in; the client checks every echo's size and text/binary flag.
#             Both peers are polled in one tight loop (no frames). 4 MiB inbound and
#             outbound buffers on both peers.
#   stream    64 KiB binary messages one way, the sender keeping its outbound buffer
#             (4 MiB) full; the receiver checks every message's size.
#   json      game-like JSON state updates (200 B-4 KiB text) server -> client, ours with
#             and without permessage-deflate: msg/s, and TCP bytes per update through a
#             counting relay (keys json_state_*); see bench/json_stream_bench.gd.
#   poll      N idle OPEN pairs (default buffer sizes). With 1 pair: one poll() of the
#             client peer alone (the usual game: one socket polled every frame). With 100
#             and 1,000 pairs: one poll() of every peer, client and server side (the
#             server's wraps the engine StreamPeerTCP from take_connection()). Repeated
#             for the measurement time; the row gives the time of one round.
#   call      get_ready_state() and get_available_packet_count() on 1 idle OPEN client
#             peer, in the same kind of loop: ns per call (GDScript + binding + method).
#   memory    VmRSS delta over opening 1,000 idle pairs (both peers of the class, default
#             buffer sizes), per connection and per peer; the pairs are dropped before the
#             other class is measured. Measured ONCE, first thing in the process, ours
#             first: freed memory stays in the process (RSS does not go back down), so a
#             later phase would mostly reuse it and measure ~0. One batch of 8 pairs of
#             each class is opened and dropped before, so one-time costs (buffers, object
#             tables) are not charged to the first class. The engine's number can only be
#             too low (it may reuse at most what ours freed), never too high.
#   connect   sequential connections (default buffer sizes): connect_to_url, accept,
#             both OPEN, client close(), both CLOSED.
#   multiplayer  RustWebSocketMultiplayerPeer vs WebSocketMultiplayerPeer (keys mp_*): RPC
#             fan-out, fan-in and relay, memory per client, connect rate; see
#             bench/multiplayer_bench.gd.
#   wss       echo of 64 KiB binary messages (window 32) over TLS: server = the engine's
#             StreamPeerTLS (RSA 2048, self-signed CN=localhost) wrapped by a peer of the
#             class; client = the class with connect_to_url("wss://localhost:PORT",
#             TLSOptions.client(cert)).
#
# Ratios are ours / engine. Throughput rows: higher is better (ratio > 1 = ours faster).
# Cost rows (time per poll, memory): lower is better (ratio < 1 = ours cheaper).
extends SceneTree

const ProcessStats := preload("res://bench/process_stats.gd")

const MultiplayerBench := preload("res://bench/multiplayer_bench.gd")
const JsonStreamBench := preload("res://bench/json_stream_bench.gd")
const OURS := "RustWebSocketPeer"
const ENGINE := "WebSocketPeer"
const CLASSES := [OURS, ENGINE]

const STATE_CONNECTING := 0
const STATE_OPEN := 1
const STATE_CLOSING := 2
const STATE_CLOSED := 3
const WRITE_TEXT := 0  # WebSocketPeer.WRITE_MODE_TEXT
const WRITE_BINARY := 1  # WebSocketPeer.WRITE_MODE_BINARY

const BIG_BUFFER := 4 << 20
const KIB := 1024
const MIB := 1 << 20
## TCPServer accepts at most 8 pending connections: idle pairs open in batches of this.
const BATCH := 8
const MAX_WINDOW := 64
const MIN_WINDOW := 3
const WINDOW_BYTES := 2 << 20

var rounds := 5
var quick := false
var duration_s := 0.6
var only := ""
var json_path := "res://../reports/bench/bench.json"
var idle_counts := [1, 100, 1000]
## Per-call rows on one idle open peer.
const IDLE_CALLS := ["get_ready_state", "get_available_packet_count"]
var connect_count := 200
var classes_wanted: Array = CLASSES.duplicate()
## Where to write the JSON stream's updates, one per line (--updates-out=PATH), for the core's link bench.
var updates_out := ""

## Metric descriptors in report order: key -> {key, workload, label, unit, better, target, samples: {cls: [..]}, extra: {cls: [..]}}.
var metrics := {}
var order: Array = []
var problems: PackedStringArray = []
var tls_key: CryptoKey
var tls_cert: X509Certificate
var multiplayer_rows := MultiplayerBench.new(self)
var json_rows := JsonStreamBench.new(self)


func _initialize() -> void:
	_main.call_deferred()


func _main() -> void:
	var started_usec := Time.get_ticks_usec()
	if not _parse_args():
		quit(2)
		return
	if not ClassDB.class_exists(OURS):
		printerr("FATAL: class %s is not registered: the extension did not load" % OURS)
		quit(1)
		return
	var info := _machine_info()
	print("[bench] %s vs %s: %d round(s), %.2f s per measurement%s" % [
		OURS, ENGINE, rounds, duration_s, " (quick)" if quick else ""])
	print("[bench] %s, %d cores; Godot %s; extension %s" % [
		info.processor_name, info.processor_count, info.godot.string, info.extension_library])
	if info.extension_library_bytes > 40 * 1000 * 1000:
		print("[bench] WARNING: the extension library is %.0f MB: probably a debug build; run scripts/build release" % (
			info.extension_library_bytes / 1e6))
	_declare_metrics()
	if updates_out != "" and not json_rows.write_updates(updates_out):
		printerr("bench: cannot write %s" % updates_out)
		quit(2)
		return

	if _wanted("memory_per_peer"):
		_memory_phase()
	multiplayer_rows.memory_phase(classes_wanted)
	for r in rounds:
		var classes: Array = CLASSES.duplicate() if r % 2 == 0 else [ENGINE, OURS]
		classes = classes.filter(func(c): return c in classes_wanted)
		print("[bench] round %d/%d (order: %s)" % [r + 1, rounds, ", ".join(classes)])
		_round(classes)

	var elapsed_s := (Time.get_ticks_usec() - started_usec) / 1e6
	var rows := _summarise()
	_print_table(rows)
	if not problems.is_empty():
		print("[bench] PROBLEMS (%d):" % problems.size())
		for p in problems:
			print("  - ", p)
	_write_json(info, rows, elapsed_s)
	print("[bench] done in %.1f s" % elapsed_s)
	quit(0)


func _parse_args() -> bool:
	var explicit_rounds := -1
	var explicit_duration := -1.0
	for arg: String in OS.get_cmdline_user_args():
		if arg == "--quick":
			quick = true
		elif arg.begins_with("--rounds="):
			explicit_rounds = arg.trim_prefix("--rounds=").to_int()
			if explicit_rounds < 1:
				printerr("bench: --rounds must be >= 1")
				return false
		elif arg.begins_with("--json="):
			json_path = arg.trim_prefix("--json=")
		elif arg.begins_with("--classes="):
			classes_wanted = Array(arg.trim_prefix("--classes=").split(",", false))
			for c in classes_wanted:
				if not c in CLASSES:
					printerr("bench: unknown class '%s' (use %s)" % [c, ", ".join(CLASSES)])
					return false
		elif arg.begins_with("--only="):
			only = arg.trim_prefix("--only=")
		elif arg.begins_with("--link="):
			json_rows.link = arg.trim_prefix("--link=")
		elif arg.begins_with("--updates-out="):
			updates_out = arg.trim_prefix("--updates-out=")
		elif arg.begins_with("--duration="):
			explicit_duration = arg.trim_prefix("--duration=").to_float()
			if explicit_duration <= 0.0:
				printerr("bench: --duration must be > 0")
				return false
		else:
			printerr("bench: unknown argument '%s' (use --rounds=N --quick --json=PATH --only=A,B --duration=S --classes=A,B --link=LABEL --updates-out=PATH)" % arg)
			return false
	if json_rows.link != "":
		only = "json_link"
	if quick:
		rounds = 1
		duration_s = 0.2
		connect_count = 50
	if explicit_rounds > 0:
		rounds = explicit_rounds
	if explicit_duration > 0.0:
		duration_s = explicit_duration
	return true


# --- metric bookkeeping ----------------------------------------------------------------------

func _metric(key: String, workload: String, label: String, unit: String, better: String, target = null) -> void:
	metrics[key] = {
		"key": key, "workload": workload, "label": label, "unit": unit, "better": better,
		"target": target, "samples": {OURS: [], ENGINE: []}, "extra": {OURS: [], ENGINE: []},
	}
	order.append(key)


func _declare_metrics() -> void:
	if json_rows.link != "":
		json_rows.declare()  # on a limited link: its rows alone
		return
	for size in [32, KIB, 64 * KIB, MIB]:
		for text in [false, true]:
			var key := _echo_key(size, text)
			# Targets: 32 B and 1 KiB on messages/s, 64 KiB and 1 MiB on MB/s (same ratio).
			var target = 2.0 if size <= KIB else 1.5
			_metric(key, "echo", "echo %s %s" % [_size_name(size), "text" if text else "binary"],
				"msg/s" if size <= KIB else "MB/s", "higher", target)
	_metric("stream_c2s_64KiB", "stream", "stream 64 KiB client->server", "MB/s", "higher")
	_metric("stream_s2c_64KiB", "stream", "stream 64 KiB server->client", "MB/s", "higher")
	json_rows.declare()
	for n in idle_counts:
		var what := "poll() 1 idle peer" if n == 1 else "poll() %d idle pairs (both sides)" % n
		_metric("poll_idle_%d" % n, "poll", what, "us/round", "lower", 0.8 if n == 1 else 0.3 if n == 1000 else null)
	for call in IDLE_CALLS:
		_metric("call_%s" % call, "call", "%s() 1 idle peer" % call, "ns/call", "lower", 1.0)
	_metric("memory_per_peer", "memory", "memory per idle peer (1,000 pairs)", "KiB", "lower", 0.1)
	_metric("memory_per_connection", "memory", "memory per idle connection (2 peers)", "KiB", "lower")
	_metric("connect_rate", "connect", "connect+handshake+close", "conn/s", "higher")
	_metric("wss_echo_64KiB", "wss", "wss echo 64 KiB binary", "MB/s", "higher", 1.5)
	multiplayer_rows.declare()


func _wanted(key: String) -> bool:
	if only == "":
		return true
	for term in only.split(",", false):
		# "poll_idle_1$" is that key alone, not poll_idle_100 and poll_idle_1000 too.
		if (key == term.trim_suffix("$")) if term.ends_with("$") else key.contains(term):
			return true
	return false


func _record(key: String, cls: String, value: float, extra := {}) -> void:
	metrics[key].samples[cls].append(value)
	metrics[key].extra[cls].append(extra)


func _problem(what: String) -> void:
	problems.append(what)
	printerr("[bench] PROBLEM: ", what)


# --- one round -------------------------------------------------------------------------------

func _round(classes: Array) -> void:
	for size in [32, KIB, 64 * KIB, MIB]:
		for text in [false, true]:
			var key := _echo_key(size, text)
			if not _wanted(key):
				continue
			for cls in classes:
				var r := _measure_echo(cls, size, text, false)
				if not r.is_empty():
					var value: float = r.msgs_per_s if size <= KIB else r.mb_per_s
					_record(key, cls, value, r)
					_progress(key, cls, "%s msg/s, %s MB/s, window %d, %d msgs" % [
						_fmt(r.msgs_per_s), _fmt(r.mb_per_s), r.window, r.messages])
	for c2s in [true, false]:
		var key := "stream_c2s_64KiB" if c2s else "stream_s2c_64KiB"
		if not _wanted(key):
			continue
		for cls in classes:
			var r := _measure_stream(cls, 64 * KIB, c2s)
			if not r.is_empty():
				_record(key, cls, r.mb_per_s, r)
				_progress(key, cls, "%s MB/s, %d msgs" % [_fmt(r.mb_per_s), r.messages])
	json_rows.run_round(classes)
	for n in idle_counts:
		var key := "poll_idle_%d" % n
		if not _wanted(key):
			continue
		for cls in classes:
			var r := _measure_idle(cls, n, false, true)
			if not r.is_empty():
				_record(key, cls, r.us_per_round, r)
				_progress(key, cls, "%s us/round, %s us/peer (%d peers)" % [
					_fmt(r.us_per_round), _fmt(r.us_per_peer), r.peers_polled])
	for call in IDLE_CALLS:
		var key := "call_%s" % call
		if not _wanted(key):
			continue
		for cls in classes:
			var r := _measure_idle(cls, 1, false, false, call)
			if not r.is_empty():
				_record(key, cls, r.ns_per_call, r)
				_progress(key, cls, "%s ns/call" % _fmt(r.ns_per_call))
	if _wanted("connect_rate"):
		for cls in classes:
			var r := _measure_connect(cls, connect_count)
			if not r.is_empty():
				_record("connect_rate", cls, r.conn_per_s, r)
				_progress("connect_rate", cls, "%s conn/s (%d connections)" % [_fmt(r.conn_per_s), r.connections])
	if _wanted("wss_echo_64KiB"):
		_ensure_tls_credentials()
		for cls in classes:
			var r := _measure_echo(cls, 64 * KIB, false, true)
			if not r.is_empty():
				_record("wss_echo_64KiB", cls, r.mb_per_s, r)
				_progress("wss_echo_64KiB", cls, "%s MB/s, %s msg/s, %d msgs" % [_fmt(r.mb_per_s), _fmt(r.msgs_per_s), r.messages])
	multiplayer_rows.run_round(classes)


## Memory per idle peer: once, before anything else, ours first (see the header).
func _memory_phase() -> void:
	var n: int = idle_counts.max()
	print("[bench] memory phase (once, %s): %d idle pairs per class" % [", ".join(classes_wanted), n])
	for cls in classes_wanted:  # warm-up: one batch of each class
		_measure_idle(cls, BATCH, false, false)
	for cls in classes_wanted:
		var r := _measure_idle(cls, n, true, false)
		if r.is_empty() or not r.has("rss_delta_kib"):
			continue
		_record("memory_per_peer", cls, r.kib_per_peer, r)
		_record("memory_per_connection", cls, r.kib_per_connection, r)
		_progress("memory", cls, "RSS +%d KiB for %d pairs: %s KiB/connection, %s KiB/peer (RSS after dropping them: %+d KiB)" % [
			r.rss_delta_kib, n, _fmt(r.kib_per_connection), _fmt(r.kib_per_peer), r.rss_after_cleanup_kib - r.rss_before_kib])


func _progress(key: String, cls: String, text: String) -> void:
	print("  %-22s %-17s %s" % [key, cls, text])


# --- peers -----------------------------------------------------------------------------------

func _new_peer(cls: String, buffer := 0, compression := false):
	var peer = ClassDB.instantiate(cls)
	if buffer > 0:
		peer.inbound_buffer_size = buffer
		peer.outbound_buffer_size = buffer
	if compression:  # ours only: the engine's class has no compression
		peer.compression_enabled = true
	return peer


func _listen(tcp: TCPServer) -> int:
	var err := tcp.listen(0, "127.0.0.1")
	if err != OK:
		_problem("TCPServer.listen failed: %s" % error_string(err))
		return 0
	return tcp.get_local_port()


## Opens one client/server pair of `cls` (optionally over TLS, with compression on both
## peers); `pump` is called in every wait (a relay between the two); [] on failure.
func _open_pair(cls: String, tcp: TCPServer, url: String, buffer := 0, tls := false,
		compression := false, pump := Callable()) -> Array:
	var client = _new_peer(cls, buffer, compression)
	var server = _new_peer(cls, buffer, compression)
	var err: int
	if tls:
		err = client.connect_to_url(url, TLSOptions.client(tls_cert))
	else:
		err = client.connect_to_url(url)
	if err != OK:
		_problem("%s.connect_to_url(%s) returned %s" % [cls, url, error_string(err)])
		return []
	var accepted := false
	var deadline := Time.get_ticks_msec() + 10000
	while Time.get_ticks_msec() < deadline:
		client.poll()
		if pump.is_valid():
			pump.call()
		if not accepted and tcp.is_connection_available():
			var stream: StreamPeer = tcp.take_connection()
			if tls:
				var tls_stream := StreamPeerTLS.new()
				tls_stream.accept_stream(stream, TLSOptions.server(tls_key, tls_cert))
				stream = tls_stream
			server.accept_stream(stream)
			accepted = true
		if accepted:
			server.poll()
		var cs: int = client.get_ready_state()
		var ss: int = server.get_ready_state()
		if cs == STATE_OPEN and ss == STATE_OPEN:
			return [client, server]
		if cs == STATE_CLOSED or (accepted and ss == STATE_CLOSED):
			_problem("%s: pair to %s failed to open (client state %d, server state %d)" % [cls, url, cs, ss])
			return []
	_problem("%s: pair to %s did not open within 10 s" % [cls, url])
	return []


## One open pair of `cls` with BIG_BUFFER buffers, over its own loopback listener; [] on failure.
func _loopback_pair(cls: String, path: String, tls: bool, compression := false) -> Array:
	var tcp := TCPServer.new()
	var port := _listen(tcp)
	if port == 0:
		return []
	var url := ("wss://localhost:%d/%s" if tls else "ws://127.0.0.1:%d/%s") % [port, path]
	var pair := _open_pair(cls, tcp, url, BIG_BUFFER, tls, compression)
	tcp.stop()
	return pair


func _close_pair(pair: Array) -> void:
	for p in pair:
		p.close(-1)


# --- echo (ws and wss) -----------------------------------------------------------------------

func _measure_echo(cls: String, size: int, text: bool, tls: bool) -> Dictionary:
	var pair := _loopback_pair(cls, "bench", tls)
	if pair.is_empty():
		return {}
	var client = pair[0]
	var server = pair[1]
	var window := clampi(WINDOW_BYTES / size, MIN_WINDOW, MAX_WINDOW)
	var payload := PackedByteArray()
	payload.resize(size)
	payload.fill(0x61)  # "a": valid UTF-8 as text
	var text_payload := payload.get_string_from_ascii()
	var label := "%s %s%s %s" % [cls, "wss " if tls else "", _size_name(size), "text" if text else "binary"]

	var sent := 0
	var done := 0
	var bad := 0
	var stopping := false
	var broken := ""
	var t0 := Time.get_ticks_usec()
	var stop_at := t0 + int(duration_s * 1e6)
	var hard_stop := stop_at + 15 * 1000000
	while true:
		client.poll()
		server.poll()
		# Server: echo every message it can queue (leave the rest unread: back-pressure).
		while server.get_available_packet_count() > 0:
			if server.get_current_outbound_buffered_amount() + size > BIG_BUFFER:
				break
			var msg: PackedByteArray = server.get_packet()
			var err: int = server.send(msg, WRITE_TEXT if server.was_string_packet() else WRITE_BINARY)
			if err != OK:
				broken = "server send failed: %s" % error_string(err)
				break
		# Client: count and check the echoes.
		while client.get_available_packet_count() > 0:
			var echo: PackedByteArray = client.get_packet()
			if echo.size() != size or client.was_string_packet() != text:
				bad += 1
			done += 1
		var now := Time.get_ticks_usec()
		if not stopping and now >= stop_at:
			stopping = true
		if not stopping:
			while sent - done < window and client.get_current_outbound_buffered_amount() + size <= BIG_BUFFER:
				var err: int = client.send_text(text_payload) if text else client.send(payload)
				if err != OK:
					broken = "client send failed: %s" % error_string(err)
					break
				sent += 1
		elif done >= sent:
			break
		if broken == "" and (client.get_ready_state() != STATE_OPEN or server.get_ready_state() != STATE_OPEN):
			broken = "connection left OPEN (client state %d, close code %d; server state %d, close code %d)" % [
				client.get_ready_state(), client.get_close_code(), server.get_ready_state(), server.get_close_code()]
		if broken != "":
			break
		if now > hard_stop:
			broken = "stalled: %d of %d echoes after %.1f s" % [done, sent, (now - t0) / 1e6]
			break
	var elapsed := (Time.get_ticks_usec() - t0) / 1e6
	_close_pair(pair)
	if broken != "":
		_problem("echo %s: %s" % [label, broken])
		return {}
	if bad > 0:
		_problem("echo %s: %d of %d echoes had the wrong size or type" % [label, bad, done])
	return {
		"msgs_per_s": done / elapsed, "mb_per_s": done * size / elapsed / 1e6, "messages": done,
		"seconds": elapsed, "window": window, "bad": bad, "lost": sent - done,
	}


# --- one-way streaming -----------------------------------------------------------------------

func _measure_stream(cls: String, size: int, c2s: bool) -> Dictionary:
	var pair := _loopback_pair(cls, "stream", false)
	if pair.is_empty():
		return {}
	var sender = pair[0] if c2s else pair[1]
	var receiver = pair[1] if c2s else pair[0]
	var payload := PackedByteArray()
	payload.resize(size)
	payload.fill(0x62)
	var label := "%s %s" % [cls, "client->server" if c2s else "server->client"]
	var stats := {"bad": 0}
	var fill := func(to, _sent: int, _got: int):
		var n := 0
		while to.get_current_outbound_buffered_amount() + size <= BIG_BUFFER:
			var err: int = to.send(payload)
			if err != OK:
				return "send failed: %s" % error_string(err)
			n += 1
		return n
	var drain := func(from, _got: int) -> int:
		var n := 0
		while from.get_available_packet_count() > 0:
			var msg: PackedByteArray = from.get_packet()
			if msg.size() != size or from.was_string_packet():
				stats.bad += 1
			n += 1
		return n
	var run := _stream_loop(sender, receiver, fill, drain, "messages")
	_close_pair(pair)
	if run.broken != "":
		_problem("stream %s: %s" % [label, run.broken])
		return {}
	if stats.bad > 0:
		_problem("stream %s: %d of %d messages had the wrong size or type" % [label, stats.bad, run.got])
	return {"mb_per_s": run.got * size / run.seconds / 1e6, "messages": run.got, "seconds": run.seconds, "bad": stats.bad}


## The loop of the one-way stream workloads: both peers polled in turn, `fill.call(sender,
## sent, got)` sends what fits and returns how many it sent (or an error text), `drain.call(
## receiver, got)` reads what arrived and returns how many; for duration_s, then until every
## message sent has arrived. Returns got, sent, seconds and broken ("" when all went well).
func _stream_loop(sender, receiver, fill: Callable, drain: Callable, unit: String) -> Dictionary:
	var sent := 0
	var got := 0
	var stopping := false
	var broken := ""
	var t0 := Time.get_ticks_usec()
	var stop_at := t0 + int(duration_s * 1e6)
	var hard_stop := stop_at + 15 * 1000000
	while true:
		sender.poll()
		receiver.poll()
		got += drain.call(receiver, got)
		var now := Time.get_ticks_usec()
		if not stopping and now >= stop_at:
			stopping = true
		if not stopping:
			var filled = fill.call(sender, sent, got)
			if filled is String:
				broken = filled
			else:
				sent += filled
		elif got >= sent:
			break
		if broken == "" and (sender.get_ready_state() != STATE_OPEN or receiver.get_ready_state() != STATE_OPEN):
			broken = "connection left OPEN (sender state %d, receiver state %d)" % [
				sender.get_ready_state(), receiver.get_ready_state()]
		if broken != "":
			break
		if now > hard_stop:
			broken = "stalled: %d of %d %s after %.1f s" % [got, sent, unit, (now - t0) / 1e6]
			break
	return {"got": got, "sent": sent, "seconds": (Time.get_ticks_usec() - t0) / 1e6, "broken": broken}


# --- idle peers: poll() cost and memory --------------------------------------------------------

## Opens `n` idle pairs, BATCH at a time. Returns [clients, servers] or [] on failure.
func _open_idle(cls: String, tcp: TCPServer, url: String, n: int) -> Array:
	var clients: Array = []
	var servers: Array = []
	while clients.size() < n:
		var count := mini(BATCH, n - clients.size())
		var cs: Array = []
		var ss: Array = []
		for i in count:
			var c = _new_peer(cls)
			var err: int = c.connect_to_url(url)
			if err != OK:
				_problem("%s: idle peer %d: connect_to_url returned %s" % [cls, clients.size() + i, error_string(err)])
				return []
			cs.append(c)
		var deadline := Time.get_ticks_msec() + 10000
		while true:
			for c in cs:
				c.poll()
			while tcp.is_connection_available():
				var s = _new_peer(cls)
				s.accept_stream(tcp.take_connection())
				ss.append(s)
			var open := 0
			for s in ss:
				s.poll()
				if s.get_ready_state() == STATE_OPEN:
					open += 1
			for c in cs:
				if c.get_ready_state() == STATE_OPEN:
					open += 1
			if open == 2 * count:
				break
			if Time.get_ticks_msec() > deadline:
				_problem("%s: idle pairs %d..%d did not open within 10 s (%d of %d peers open)" % [
					cls, clients.size(), clients.size() + count - 1, open, 2 * count])
				return []
		clients.append_array(cs)
		servers.append_array(ss)
	return [clients, servers]


func _measure_idle(cls: String, n: int, with_memory: bool, with_poll: bool, call := "") -> Dictionary:
	var result := {"pairs": n}
	var tcp := TCPServer.new()
	var port := _listen(tcp)
	if port == 0:
		return {}
	var rss_before := _rss_kib()
	var t_open := Time.get_ticks_usec()
	var opened := _open_idle(cls, tcp, "ws://127.0.0.1:%d/idle" % port, n)
	result.open_seconds = (Time.get_ticks_usec() - t_open) / 1e6
	tcp.stop()
	if opened.is_empty():
		return {}
	var clients: Array = opened[0]
	var servers: Array = opened[1]
	if with_memory:
		var rss_open := _rss_kib()
		if rss_before < 0 or rss_open < 0:
			_problem("cannot read VmRSS from /proc/self/status")
		else:
			result.rss_before_kib = rss_before
			result.rss_open_kib = rss_open
			result.rss_delta_kib = rss_open - rss_before
			result.kib_per_connection = float(rss_open - rss_before) / n
			result.kib_per_peer = float(rss_open - rss_before) / (2 * n)

	if with_poll:
		# One client alone, or every peer of every pair; time checks every ~1,000 poll() calls.
		var peers: Array = clients if n == 1 else clients + servers
		@warning_ignore("integer_division")
		var inner := maxi(1, 1000 / peers.size())
		for p in peers:  # warm-up (and ours: idle sockets reach their syscall-free state)
			for k in 8:
				p.poll()
		var rounds_done := 0
		var t0 := Time.get_ticks_usec()
		var stop_at := t0 + int(duration_s * 1e6)
		while true:
			for i in inner:
				for p in peers:
					p.poll()
			rounds_done += inner
			if Time.get_ticks_usec() >= stop_at:
				break
		var elapsed_us := float(Time.get_ticks_usec() - t0)
		result.us_per_round = elapsed_us / rounds_done
		result.us_per_peer = elapsed_us / rounds_done / peers.size()
		result.peers_polled = peers.size()
		result.poll_rounds = rounds_done
	if call != "":
		# One client peer, a loop of 1,000 calls per time check.
		var c = clients[0]
		for k in 8:
			c.poll()
		var calls_done := 0
		var t0 := Time.get_ticks_usec()
		var stop_at := t0 + int(duration_s * 0.5e6)
		while true:
			if call == "get_ready_state":
				for i in 1000:
					c.get_ready_state()
			else:
				for i in 1000:
					c.get_available_packet_count()
			calls_done += 1000
			if Time.get_ticks_usec() >= stop_at:
				break
		result.ns_per_call = (Time.get_ticks_usec() - t0) * 1000.0 / calls_done
	var still_open := 0
	for p in clients + servers:
		if p.get_ready_state() == STATE_OPEN:
			still_open += 1
	if still_open != 2 * n:
		_problem("%s: %d of %d idle peers left OPEN while idle" % [cls, 2 * n - still_open, 2 * n])

	for p in clients + servers:
		p.close(-1)
	clients.clear()
	servers.clear()
	opened.clear()
	if with_memory:
		result.rss_after_cleanup_kib = _rss_kib()
	return result


func _rss_kib() -> int:
	return ProcessStats.rss_kib()


# --- connect + handshake rate ------------------------------------------------------------------

func _measure_connect(cls: String, count: int) -> Dictionary:
	var tcp := TCPServer.new()
	var port := _listen(tcp)
	if port == 0:
		return {}
	var url := "ws://127.0.0.1:%d/connect" % port
	var done := 0
	var t0 := Time.get_ticks_usec()
	var max_usec := t0 + int(maxf(2.0, duration_s * 4) * 1e6)
	while done < count and Time.get_ticks_usec() < max_usec:
		var pair := _open_pair(cls, tcp, url)
		if pair.is_empty():
			break
		var client = pair[0]
		var server = pair[1]
		client.close()
		var deadline := Time.get_ticks_msec() + 5000
		while client.get_ready_state() != STATE_CLOSED or server.get_ready_state() != STATE_CLOSED:
			client.poll()
			server.poll()
			if Time.get_ticks_msec() > deadline:
				_problem("%s: connection %d did not close within 5 s (client %d, server %d)" % [
					cls, done, client.get_ready_state(), server.get_ready_state()])
				break
		if client.get_close_code() != 1000 or server.get_close_code() != 1000:
			_problem("%s: connection %d closed with codes %d (client) / %d (server), expected 1000" % [
				cls, done, client.get_close_code(), server.get_close_code()])
		done += 1
	var elapsed := (Time.get_ticks_usec() - t0) / 1e6
	tcp.stop()
	if done == 0:
		return {}
	return {"conn_per_s": done / elapsed, "connections": done, "seconds": elapsed}


func _ensure_tls_credentials() -> void:
	if tls_key != null:
		return
	var crypto := Crypto.new()
	tls_key = crypto.generate_rsa(2048)
	tls_cert = crypto.generate_self_signed_certificate(tls_key, "CN=localhost")


# --- report ----------------------------------------------------------------------------------

func _median(values: Array) -> float:
	if values.is_empty():
		return NAN
	var v := values.duplicate()
	v.sort()
	var n := v.size()
	if n % 2 == 1:
		return v[n / 2]
	return (v[n / 2 - 1] + v[n / 2]) / 2.0


func _summarise() -> Array:
	var rows: Array = []
	for key in order:
		var m: Dictionary = metrics[key]
		var ours: Array = m.samples[OURS]
		var engine: Array = m.samples[ENGINE]
		if ours.is_empty() and engine.is_empty():
			continue
		var mo := _median(ours)
		var me := _median(engine)
		var ratio := mo / me if not is_nan(mo) and not is_nan(me) and me != 0.0 else NAN
		var meets = null
		if m.target != null and not is_nan(ratio):
			meets = ratio >= m.target if m.better == "higher" else ratio <= m.target
		var row := {
			"key": key, "workload": m.workload, "label": m.label, "unit": m.unit, "better": m.better,
			"target": m.target, "meets_target": meets, "ratio": ratio,
			"ours": {"median": mo, "samples": ours, "details": m.extra[OURS]},
			"engine": {"median": me, "samples": engine, "details": m.extra[ENGINE]},
		}
		# Echo rows also carry the other unit's medians (MB/s or msg/s).
		if m.workload == "echo" or m.workload == "wss":
			for side in [OURS, ENGINE]:
				var mb: Array = []
				var msgs: Array = []
				for d in m.extra[side]:
					mb.append(d.mb_per_s)
					msgs.append(d.msgs_per_s)
				row["ours" if side == OURS else "engine"]["mb_per_s"] = _median(mb)
				row["ours" if side == OURS else "engine"]["msgs_per_s"] = _median(msgs)
		rows.append(row)
	return rows


func _print_table(rows: Array) -> void:
	var header := "%-38s %-10s %14s %14s %9s  %-20s %s" % [
		"measurement (median of %d)" % rounds, "unit", "ours", "engine", "ours/eng", "better", "target"]
	print("")
	print(header)
	print("-".repeat(header.length() + 6))
	for row in rows:
		var target := ""
		if row.target != null:
			target = "%s %.1fx %s" % [">=" if row.better == "higher" else "<=", row.target,
				"MET" if row.meets_target else "NOT MET (%s)" % _gap(row)]
		var better: String = "higher is better" if row.better == "higher" else "lower is better"
		print("%-38s %-10s %14s %14s %8.2fx  %-20s %s" % [
			row.label, row.unit, _fmt(row.ours.median), _fmt(row.engine.median), row.ratio, better, target])
		if row.workload == "echo" and row.unit == "msg/s":
			print("%-38s %-10s %14s %14s" % ["", "  (MB/s)", _fmt(row.ours.mb_per_s), _fmt(row.engine.mb_per_s)])
		elif row.workload in ["echo", "wss"]:
			print("%-38s %-10s %14s %14s" % ["", "  (msg/s)", _fmt(row.ours.msgs_per_s), _fmt(row.engine.msgs_per_s)])
	print("")
	print("ratio = ours / engine; throughput rows: higher is better; poll() time and memory rows: lower is better")


## How far a row is from its target, as a factor still to gain.
func _gap(row: Dictionary) -> String:
	if is_nan(row.ratio) or row.ratio <= 0.0:
		return "no data"
	if row.better == "higher":
		return "needs %.2fx more" % (row.target / row.ratio)
	return "needs %.2fx less" % (row.ratio / row.target)


func _write_json(info: Dictionary, rows: Array, elapsed_s: float) -> void:
	var path := json_path
	if path.begins_with("res://") or path.begins_with("user://"):
		path = ProjectSettings.globalize_path(path)
	elif not path.is_absolute_path():
		path = OS.get_environment("PWD").path_join(path)
	path = path.simplify_path()
	DirAccess.make_dir_recursive_absolute(path.get_base_dir())
	var doc := {
		"benchmark": "RustWebSocketPeer vs WebSocketPeer",
		"generated_at": Time.get_datetime_string_from_system(true) + "Z",
		"elapsed_seconds": elapsed_s,
		"machine": info,
		"config": {
			"rounds": rounds, "quick": quick, "seconds_per_measurement": duration_s, "only": only,
			"big_buffer_bytes": BIG_BUFFER, "echo_window": "clamp(%d / size, %d, %d) messages" % [WINDOW_BYTES, MIN_WINDOW, MAX_WINDOW],
			"idle_pairs": idle_counts, "connect_count": connect_count, "idle_open_batch": BATCH,
			"json_state_stream": json_rows.describe(),
		},
		"ratio_note": "ratio = ours / engine. better=higher: ratio > 1 means ours is better; better=lower: ratio < 1 means ours is better.",
		"results": rows,
		"problems": problems,
	}
	var f := FileAccess.open(path, FileAccess.WRITE)
	if f == null:
		_problem("cannot write %s: %s" % [path, error_string(FileAccess.get_open_error())])
		return
	f.store_string(JSON.stringify(_json_safe(doc), "  ", false))
	f.close()
	print("[bench] results written to ", path)


## JSON has no NaN: null instead.
func _json_safe(v):
	if v is float and (is_nan(v) or is_inf(v)):
		return null
	if v is Dictionary:
		var out := {}
		for k in v:
			out[k] = _json_safe(v[k])
		return out
	if v is Array:
		var out: Array = []
		for x in v:
			out.append(_json_safe(x))
		return out
	return v


func _machine_info() -> Dictionary:
	# The library an editor build loads: the .gdextension's debug entry.
	var gdextension := ConfigFile.new()
	gdextension.load("res://addons/websocket_rs/websocket_rs.gdextension")
	var lib := "res://addons/websocket_rs/" + str(gdextension.get_value("libraries", "linux.debug.x86_64", "?"))
	var lib_info := "?"
	var lib_size := -1
	var lib_mtime := 0
	if FileAccess.file_exists(lib):
		var f := FileAccess.open(lib, FileAccess.READ)
		if f != null:
			lib_size = f.get_length()
			f.close()
		lib_mtime = FileAccess.get_modified_time(lib)
		lib_info = "%s (%.1f MB, built %s)" % [lib.get_file(), lib_size / 1e6,
			Time.get_datetime_string_from_unix_time(lib_mtime, true)]
	return {
		"processor_name": OS.get_processor_name(),
		"processor_count": OS.get_processor_count(),
		"os": OS.get_name(),
		"distribution": OS.get_distribution_name(),
		"os_version": OS.get_version(),
		"memory": OS.get_memory_info(),
		"godot": Engine.get_version_info(),
		"godot_debug_build": OS.is_debug_build(),
		"extension_library": lib_info,
		"extension_library_bytes": lib_size,
		"extension_library_mtime": lib_mtime,
	}


# --- formatting ------------------------------------------------------------------------------

func _echo_key(size: int, text: bool) -> String:
	return "echo_%s_%s" % [_size_name(size).replace(" ", ""), "text" if text else "binary"]


func _size_name(size: int) -> String:
	if size >= MIB:
		return "%d MiB" % (size / MIB)
	if size >= KIB:
		return "%d KiB" % (size / KIB)
	return "%d B" % size


func _fmt(x) -> String:
	if x == null or (x is float and is_nan(x)):
		return "-"
	var v := float(x)
	if absf(v) >= 1000.0:
		return String.num(v, 0)
	if absf(v) >= 10.0:
		return String.num(v, 1)
	return String.num(v, 3)
