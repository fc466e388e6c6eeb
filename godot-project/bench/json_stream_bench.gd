# The JSON state stream rows of bench/bench.gd (keys json_state_*): a game server pushing
# state updates to a client, RustWebSocketPeer with and without permessage-deflate
# against the engine's WebSocketPeer (which has no compression), pairs of one class over
# 127.0.0.1, BIG_BUFFER buffers.
#
# The updates: UPDATES JSON texts of 200 B-4 KiB from bench/game_state_stream.gd (seeded,
# generated once per process; see there for the content and the size distribution),
# sent in order with send_text(), over and over.
#
#   rate   server -> client, one way (the direction a game's state goes), at most WINDOW
#          updates in flight; the client checks every update's bytes and text flag.
#          Both peers are polled in one loop, so msg/s is the cost of both ends.
#   wire   the UPDATES updates once, server -> client, through bench/byte_counting_relay.gd
#          (a TCP relay in the same process): the TCP payload bytes the server wrote
#          after the handshake, per update (frame headers included; the handshake and the
#          close are not). The rate rows run without the relay.
#
#   link   with --link=LABEL (scripts/bench --link runs it in a network namespace whose
#          loopback tc's tbf limits to LABEL, e.g. 10mbit): server -> client at most
#          LINK_WINDOW updates in flight, as a game server that does not queue more than a
#          few frames' worth. msg/s; bytes per update on the link (the loopback's tx bytes:
#          IP and TCP headers and the client's ACKs included; nothing else runs there);
#          latency from send_text() to the client's get_packet(), median and 99th percentile.
#
# The deflate rows are ours with compression_enabled on both peers (the client's first
# offer, context takeover both ways, is the one our server accepts) against the same
# engine measurement as the plain rows. Ours without context takeover is not measured:
# nothing a game can set makes our peers negotiate it with each other.
extends RefCounted

const GameStateStream := preload("res://bench/game_state_stream.gd")
const ByteCountingRelay := preload("res://bench/byte_counting_relay.gd")

const UPDATES := 1000
const SEED := 20261202
const WINDOW := 256
## [rate key, wire key, compression on ours]
const VARIANTS := [
	["json_state_s2c", "json_state_wire", false],
	["json_state_s2c_deflate", "json_state_wire_deflate", true],
]

## Updates in flight on the limited link.
const LINK_WINDOW := 32
## [row key suffix, label suffix, compression on ours]
const LINK_VARIANTS := [["", "", false], ["_deflate", ", ours with deflate", true]]

## The link the process runs on (--link=LABEL), or "" when the link rows are not wanted.
var link := ""
var bench  # bench.gd (SceneTree): _metric, _record, _problem, _progress, _wanted, _loopback_pair, ...
var updates := PackedStringArray()
var update_bytes: Array[PackedByteArray] = []
var payload_bytes := 0


func _init(owner) -> void:
	bench = owner


func declare() -> void:
	if link != "":
		for v in LINK_VARIANTS:
			var what := "JSON state stream on a %s link%s" % [link, v[1]]
			bench._metric(_link_key("s2c", v), "link", what, "msg/s", "higher")
			bench._metric(_link_key("bytes", v), "link", what + ", bytes per update", "B/msg", "lower")
			bench._metric(_link_key("latency_p50", v), "link", what + ", latency median", "ms", "lower")
			bench._metric(_link_key("latency_p99", v), "link", what + ", latency p99", "ms", "lower")
		return
	bench._metric("json_state_s2c", "json", "JSON state stream server->client", "msg/s", "higher")
	bench._metric("json_state_s2c_deflate", "json", "JSON state stream server->client, ours with deflate", "msg/s", "higher")
	bench._metric("json_state_wire", "json", "JSON state stream bytes on the wire", "B/msg", "lower")
	bench._metric("json_state_wire_deflate", "json", "JSON state stream bytes on the wire, ours with deflate", "B/msg", "lower")


## Workload facts for bench.json's config.
func describe() -> Dictionary:
	if updates.is_empty():
		return {}
	var sizes: Array = update_bytes.map(func(b: PackedByteArray): return b.size())
	sizes.sort()
	@warning_ignore("integer_division")
	var median: int = sizes[UPDATES / 2]
	return {
		"updates": UPDATES, "seed": SEED, "window": WINDOW, "payload_bytes": payload_bytes,
		"mean_bytes": float(payload_bytes) / UPDATES, "min_bytes": sizes[0],
		"median_bytes": median, "max_bytes": sizes[-1],
	}


func _link_key(what: String, variant: Array) -> String:
	return "json_link_%s_%s%s" % [link, what, variant[0]]


func run_round(classes: Array) -> void:
	if link != "":
		_link_round(classes)
		return
	var wanted := VARIANTS.filter(func(v): return bench._wanted(v[0]) or bench._wanted(v[1]))
	if wanted.is_empty():
		return
	_ensure_updates()
	for cls in classes:
		if cls == bench.ENGINE:
			# One measurement, the engine's column of every variant wanted.
			var want_rate := wanted.any(func(v): return bench._wanted(v[0]))
			var want_wire := wanted.any(func(v): return bench._wanted(v[1]))
			var rate := _measure_rate(cls, false) if want_rate else {}
			var wire := _measure_wire(cls, false) if want_wire else {}
			for v in wanted:
				_record(v, cls, rate, wire)
		else:
			for v in wanted:
				var rate := _measure_rate(cls, v[2]) if bench._wanted(v[0]) else {}
				var wire := _measure_wire(cls, v[2]) if bench._wanted(v[1]) else {}
				_record(v, cls, rate, wire)


func _record(variant: Array, cls: String, rate: Dictionary, wire: Dictionary) -> void:
	if bench._wanted(variant[0]) and not rate.is_empty():
		bench._record(variant[0], cls, rate.msgs_per_s, rate)
		bench._progress(variant[0], cls, "%s msg/s, %s MB/s of JSON, %d msgs" % [
			bench._fmt(rate.msgs_per_s), bench._fmt(rate.mb_per_s), rate.messages])
	if bench._wanted(variant[1]) and not wire.is_empty():
		bench._record(variant[1], cls, wire.bytes_per_msg, wire)
		bench._progress(variant[1], cls, "%s B/msg on the wire (JSON %s B/msg), %d B in %d msgs" % [
			bench._fmt(wire.bytes_per_msg), bench._fmt(wire.payload_bytes_per_msg), wire.wire_bytes, wire.messages])


func _ensure_updates() -> void:
	if not updates.is_empty():
		return
	updates = GameStateStream.new(SEED).updates(UPDATES)
	for text in updates:
		var bytes := text.to_utf8_buffer()
		update_bytes.append(bytes)
		payload_bytes += bytes.size()


# --- messages per second ---------------------------------------------------------------------

func _measure_rate(cls: String, compression: bool) -> Dictionary:
	var label := "%s%s" % [cls, " deflate" if compression else ""]
	var pair: Array = bench._loopback_pair(cls, "json", false, compression)
	if pair.is_empty():
		return {}
	var stats := {"bad": 0, "bytes": 0}
	var run: Dictionary = bench._stream_loop(pair[1], pair[0], _send_updates.bind(-1), _drain_updates.bind(stats), "updates")
	bench._close_pair(pair)
	if run.broken != "":
		bench._problem("JSON stream %s: %s" % [label, run.broken])
		return {}
	if stats.bad > 0:
		bench._problem("JSON stream %s: %d of %d updates arrived changed or as binary" % [label, stats.bad, run.got])
	return {"msgs_per_s": run.got / run.seconds, "mb_per_s": stats.bytes / run.seconds / 1e6, "messages": run.got,
		"seconds": run.seconds, "bad": stats.bad}


## Sends updates in order while fewer than WINDOW are in flight, the first `limit` only (-1:
## round and round). Returns how many it sent, or an error text.
func _send_updates(sender, sent: int, got: int, limit: int):
	var n := 0
	while (limit < 0 or sent + n < limit) and sent + n - got < WINDOW:
		var err: int = sender.send_text(updates[(sent + n) % UPDATES])
		if err != OK:
			return "send_text failed: %s" % error_string(err)
		n += 1
	return n


## Reads every update that arrived (the `got`-th onwards), counting in `stats` the bytes and
## those that are not the text sent. Returns how many.
func _drain_updates(receiver, got: int, stats: Dictionary) -> int:
	var n := 0
	while receiver.get_available_packet_count() > 0:
		var msg: PackedByteArray = receiver.get_packet()
		if not receiver.was_string_packet() or msg != update_bytes[(got + n) % UPDATES]:
			stats.bad += 1
		stats.bytes += msg.size()
		n += 1
	return n


# --- bytes on the wire -----------------------------------------------------------------------

func _measure_wire(cls: String, compression: bool) -> Dictionary:
	var label := "%s%s" % [cls, " deflate" if compression else ""]
	var tcp := TCPServer.new()
	var port: int = bench._listen(tcp)
	if port == 0:
		return {}
	var relay := ByteCountingRelay.new(port)
	var relay_port := relay.listen()
	if relay_port == 0:
		bench._problem("JSON stream wire %s: the relay cannot listen" % label)
		return {}
	var pair: Array = bench._open_pair(cls, tcp, "ws://127.0.0.1:%d/json" % relay_port, bench.BIG_BUFFER, false,
		compression, relay.pump)
	tcp.stop()
	if pair.is_empty():
		relay.close()
		return {}
	var receiver = pair[0]
	var sender = pair[1]
	# Both OPEN: the request and the response have passed the relay, nothing else has.
	var handshake_up := relay.client_to_server
	var handshake_down := relay.server_to_client
	var agreed := relay.response_head().containsn("permessage-deflate")
	var sent := 0
	var got := 0
	var stats := {"bad": 0, "bytes": 0}
	var broken := ""
	var deadline := Time.get_ticks_msec() + 30000
	while got < UPDATES:
		sender.poll()
		relay.pump()
		receiver.poll()
		got += _drain_updates(receiver, got, stats)
		var filled = _send_updates(sender, sent, got, UPDATES)
		if filled is String:
			broken = filled
		else:
			sent += filled
		if broken == "" and (sender.get_ready_state() != bench.STATE_OPEN or receiver.get_ready_state() != bench.STATE_OPEN):
			broken = "connection left OPEN (sender state %d, receiver state %d)" % [
				sender.get_ready_state(), receiver.get_ready_state()]
		if broken == "" and Time.get_ticks_msec() > deadline:
			broken = "stalled: %d of %d updates after 30 s" % [got, sent]
		if broken != "":
			break
	# Every byte of the last update has passed the relay once the client has it.
	var wire_bytes := relay.server_to_client - handshake_down
	var upstream_bytes := relay.client_to_server - handshake_up
	bench._close_pair(pair)
	relay.close()
	if broken != "":
		bench._problem("JSON stream wire %s: %s" % [label, broken])
		return {}
	if stats.bad > 0:
		bench._problem("JSON stream wire %s: %d of %d updates arrived changed or as binary" % [label, stats.bad, got])
	if agreed != compression:
		bench._problem("JSON stream wire %s: permessage-deflate %s in the response" % [label, "agreed" if agreed else "missing"])
	return {
		"bytes_per_msg": float(wire_bytes) / UPDATES, "payload_bytes_per_msg": float(payload_bytes) / UPDATES,
		"wire_bytes": wire_bytes, "payload_bytes": payload_bytes, "messages": UPDATES,
		"handshake_bytes": {"client_to_server": handshake_up, "server_to_client": handshake_down},
		"client_to_server_bytes_after_handshake": upstream_bytes, "deflate_agreed": agreed, "bad": stats.bad,
	}


# --- on a limited link -----------------------------------------------------------------------

func _link_round(classes: Array) -> void:
	_ensure_updates()
	for cls in classes:
		# The engine has no compression: its one measurement is the engine column of both variants.
		var variants: Array = [LINK_VARIANTS[0]] if cls == bench.ENGINE else LINK_VARIANTS
		for v in variants:
			var r := _measure_link(cls, v[2])
			if r.is_empty():
				continue
			for recorded in (LINK_VARIANTS if cls == bench.ENGINE else [v]):
				bench._record(_link_key("s2c", recorded), cls, r.msgs_per_s, r)
				bench._record(_link_key("bytes", recorded), cls, r.bytes_per_msg, r)
				bench._record(_link_key("latency_p50", recorded), cls, r.latency_p50_ms, r)
				bench._record(_link_key("latency_p99", recorded), cls, r.latency_p99_ms, r)
			bench._progress(_link_key("s2c", v), cls, "%s msg/s, %s B/update on the link, latency %s ms median, %s ms p99, %d msgs" % [
				bench._fmt(r.msgs_per_s), bench._fmt(r.bytes_per_msg), bench._fmt(r.latency_p50_ms),
				bench._fmt(r.latency_p99_ms), r.messages])


func _measure_link(cls: String, compression: bool) -> Dictionary:
	var label := "%s%s on %s" % [cls, " deflate" if compression else "", link]
	var pair: Array = bench._loopback_pair(cls, "json-link", false, compression)
	if pair.is_empty():
		return {}
	var receiver = pair[0]
	var sender = pair[1]
	var sent_at := PackedInt64Array()
	sent_at.resize(LINK_WINDOW)
	var latencies_us: Array[int] = []
	var stats := {"bad": 0, "bytes": 0}
	var sent := 0
	var got := 0
	var broken := ""
	var tx_before := _loopback_tx_bytes()
	var t0 := Time.get_ticks_usec()
	var stop_at := t0 + int(bench.duration_s * 1e6)
	var hard_stop := stop_at + 30 * 1000000
	while true:
		sender.poll()
		receiver.poll()
		while receiver.get_available_packet_count() > 0:
			var msg: PackedByteArray = receiver.get_packet()
			latencies_us.append(Time.get_ticks_usec() - sent_at[got % LINK_WINDOW])
			if not receiver.was_string_packet() or msg != update_bytes[got % UPDATES]:
				stats.bad += 1
			got += 1
		var now := Time.get_ticks_usec()
		if now < stop_at:
			while sent - got < LINK_WINDOW:
				var err: int = sender.send_text(updates[sent % UPDATES])
				if err != OK:
					broken = "send_text failed: %s" % error_string(err)
					break
				sent_at[sent % LINK_WINDOW] = Time.get_ticks_usec()
				sent += 1
		elif got >= sent:
			break
		if broken == "" and (sender.get_ready_state() != bench.STATE_OPEN or receiver.get_ready_state() != bench.STATE_OPEN):
			broken = "connection left OPEN (sender state %d, receiver state %d)" % [
				sender.get_ready_state(), receiver.get_ready_state()]
		if broken == "" and now > hard_stop:
			broken = "stalled: %d of %d updates" % [got, sent]
		if broken != "":
			break
	var seconds := (Time.get_ticks_usec() - t0) / 1e6
	var link_bytes := _loopback_tx_bytes() - tx_before
	bench._close_pair(pair)
	if broken != "":
		bench._problem("JSON stream %s: %s" % [label, broken])
		return {}
	if stats.bad > 0:
		bench._problem("JSON stream %s: %d of %d updates arrived changed or as binary" % [label, stats.bad, got])
	latencies_us.sort()
	return {
		"msgs_per_s": got / seconds, "messages": got, "seconds": seconds, "window": LINK_WINDOW,
		"bytes_per_msg": float(link_bytes) / got, "link_bytes": link_bytes,
		"latency_p50_ms": latencies_us[latencies_us.size() / 2] / 1000.0,
		"latency_p99_ms": latencies_us[mini(latencies_us.size() - 1, latencies_us.size() * 99 / 100)] / 1000.0,
		"bad": stats.bad,
	}


## Bytes the loopback interface has sent (every packet on it, both directions), from
## /proc/net/dev: it shows this process's network namespace (/sys/class/net shows the one
## /sys was mounted in).
static func _loopback_tx_bytes() -> int:
	var f := FileAccess.open("/proc/net/dev", FileAccess.READ)
	while f != null and not f.eof_reached():
		var line := f.get_line().strip_edges()
		if line.begins_with("lo:"):
			# lo: rx bytes, packets, errs, drop, fifo, frame, compressed, multicast, then tx bytes.
			return int(line.trim_prefix("lo:").split(" ", false)[8])
	return 0


## Writes the updates, one per line, for the core's link bench (rust/connection/examples/link_levels.rs).
func write_updates(path: String) -> bool:
	_ensure_updates()
	var f := FileAccess.open(path, FileAccess.WRITE)
	if f == null:
		return false
	for text in updates:
		f.store_line(text)
	return true
