# Peers that send without reading, or read a byte a second, can't grow our
# memory beyond the bound the README gives, and lose nothing: a raw-socket
# Python peer (tests/peers/hostile_peer.py) against our server and our client,
# with the application echoing everything.
extends "res://tests/test_case.gd"

const TlsServer := preload("res://tests/tls_server.gd")

const OPEN := 1
const CLOSED := 3
const PING_COUNT := 1_000_000
## Over TLS the dev build decrypts slowly: fewer pings, the same bound.
const WSS_PING_COUNT := 200_000
## What TLS adds to the bound: our wss client's buffers (README), or the
## engine's StreamPeerTLS records under a server peer.
const TLS_EXTRA := 64 * 1024 + 256 * 1024 + 2 * 17 * 1024


## The README's bound on what one peer holds, in bytes, for its settings
## (ws://; "Memory bound" in the README explains each term).
static func bound_bytes(inbound: int, outbound: int, max_queued: int) -> int:
	var inbound_side := 2 * (2 * inbound + 32 * max_queued + 65536)
	var outbound_side := 2 * (2 * (outbound + 14 * max_queued) + 16 * max_queued + 65536 + 8192)
	return inbound_side + outbound_side


## This process's resident memory, in bytes (procfs files report no length:
## read them line by line).
static func rss() -> int:
	var status := FileAccess.open("/proc/self/status", FileAccess.READ)
	while status != null and not status.eof_reached():
		var line := status.get_line()
		if line.begins_with("VmRSS:"):
			return int(line.split(":")[1].strip_edges().split(" ")[0]) * 1024
	return -1


func _python_peer(args: Array) -> Dictionary:
	var python := OS.get_environment("WS_PYTHON")
	if not check(python != "", "WS_PYTHON names the peers' python (tests/godot-tests provisions it)"):
		return {}
	var script := ProjectSettings.globalize_path("res://").path_join("../tests/peers/hostile_peer.py").simplify_path()
	var proc := OS.execute_with_pipe(python, [script] + args)
	check(not proc.is_empty(), "python peer started")
	return proc


## Our peer, opened against the Python peer in `mode` (server: we accept),
## over TLS when `tls`.
func _open(role: String, mode: Array, tls := false) -> Array:
	var peer: RustWebSocketPeer = own(RustWebSocketPeer.new())
	var proc: Dictionary
	var creds := TlsServer.credentials()
	var tls_args := []
	if tls:
		var cert_path := OS.get_user_data_dir().path_join("hostile_peer.crt")
		var key_path := OS.get_user_data_dir().path_join("hostile_peer.key")
		creds[1].save(cert_path)
		creds[0].save(key_path)
		tls_args = ["--tls", cert_path, key_path]
	if role == "server":
		var tcp: TCPServer = own(TCPServer.new())
		tcp.listen(0, "127.0.0.1")
		proc = _python_peer(tls_args + ["client", str(tcp.get_local_port())] + mode)
		if proc.is_empty():
			return [peer, proc]
		await poll_until([], func(): return tcp.is_connection_available(), 10.0)
		if tls:
			var stream := StreamPeerTLS.new()
			stream.accept_stream(tcp.take_connection(), TLSOptions.server(creds[0], creds[1]))
			peer.accept_stream(stream)
		else:
			peer.accept_stream(tcp.take_connection())
	else:
		proc = _python_peer(tls_args + ["server"] + mode)
		if proc.is_empty():
			return [peer, proc]
		var port := int(proc["stdio"].get_line())
		if tls:
			peer.connect_to_url("wss://localhost:%d/" % port, TLSOptions.client(creds[1]))
		else:
			peer.connect_to_url("ws://127.0.0.1:%d/" % port)
	check(await poll_until([peer], func(): return peer.get_ready_state() == OPEN, 10.0), "%s open" % role)
	return [peer, proc]


## Echoes every message back (in order: while the outbound queue has no room
## for the next echo, nothing more is read) until the Python peer exits. Returns its
## result line, the peak RSS growth, and the peak outbound buffered amount.
func _echo_until_done(peer: RustWebSocketPeer, proc: Dictionary) -> Dictionary:
	var base := rss()
	check(base > 0, "RSS measured")
	var seen := {"rss": base, "outbound": 0, "pending": [], "waits": 0}
	var done := await poll_until([peer], func():
		var pending: Array = seen["pending"]
		while true:
			if pending.is_empty():
				if peer.get_available_packet_count() == 0 or peer.get_ready_state() != OPEN:
					break
				var data := peer.get_packet()
				pending.append([data, peer.was_string_packet()])
			# Wait for room rather than have the send refused (and an error printed).
			if peer.get_current_outbound_buffered_amount() + pending[0][0].size() > peer.outbound_buffer_size:
				seen["waits"] += 1
				break
			var mode := RustWebSocketPeer.WRITE_MODE_TEXT if pending[0][1] else RustWebSocketPeer.WRITE_MODE_BINARY
			if not check_eq(peer.send(pending[0][0], mode), OK, "echo sent"):
				break
			pending.pop_front()
		seen["outbound"] = maxi(seen["outbound"], peer.get_current_outbound_buffered_amount())
		seen["rss"] = maxi(seen["rss"], rss())
		return not OS.is_process_running(proc["pid"]), 90.0)
	check(done, "the python peer finished in time")
	var result := ""
	var stdio: FileAccess = proc["stdio"]
	while not stdio.eof_reached():
		var line := stdio.get_line()
		if line.begins_with("result") or line.begins_with("error"):
			result = line
			break
	await poll_until([peer], func(): return peer.get_ready_state() == CLOSED, 5.0)
	return {"result": result, "rss_growth": seen["rss"] - base, "outbound": seen["outbound"], "waits": seen["waits"]}


static func _fields(result: String) -> Dictionary:
	var out := {}
	for part in result.split(" "):
		if part.contains("="):
			out[part.get_slice("=", 0)] = part.get_slice("=", 1)
	return out


func _ping_flood(role: String, tls := false) -> void:
	var count := WSS_PING_COUNT if tls else PING_COUNT
	var opened: Array = await _open(role, ["ping-flood", str(count)], tls)
	var peer: RustWebSocketPeer = opened[0]
	if opened[1].is_empty() or peer.get_ready_state() != OPEN:
		return
	var seen := await _echo_until_done(peer, opened[1])
	var r := _fields(seen["result"])
	if not check(seen["result"].begins_with("result"), "%s: python peer result: %s" % [role, seen["result"]]):
		return
	# How many pings went out before TCP pushed back depends on the kernel's
	# buffers (printed below); the cargo tests assert the pushback itself.
	check(int(r["pongs"]) < count, "%s: pongs not yet sent were replaced (%s sent)" % [role, r["pongs"]])
	check_eq(int(r["last_pong"]), count - 1, "%s: the most recent ping is answered" % role)
	check_eq(r["echo"], "after_the_flood", "%s: the connection still works after the flood" % role)
	check_eq(int(r["close"]), 1000, "%s: the Close was answered" % role)
	check_eq(peer.get_close_code(), 1000, "%s: closed cleanly" % role)
	var bound := bound_bytes(peer.inbound_buffer_size, peer.outbound_buffer_size, peer.max_queued_packets)
	if tls:
		bound += TLS_EXTRA
		role += " (wss)"
	check(seen["rss_growth"] <= bound, "%s: peak RSS growth %d bytes within the bound %d" % [role, seen["rss_growth"], bound])
	print("       %s ping flood: %s pings unread, %s pongs, peak RSS growth %d KiB (bound %d KiB)" % [
		role, r["unread_phase_sent"], r["pongs"], seen["rss_growth"] / 1024, bound / 1024])


func test_ping_flood_against_our_server() -> void:
	await _ping_flood("server")


func test_ping_flood_against_our_client() -> void:
	await _ping_flood("client")


func test_ping_flood_over_wss_against_our_server() -> void:
	await _ping_flood("server", true)


func test_ping_flood_over_wss_against_our_client() -> void:
	await _ping_flood("client", true)


func _data_flood(role: String, seconds: float, read_rate: int) -> void:
	var opened: Array = await _open(role, ["data-flood", str(seconds), str(read_rate)])
	var peer: RustWebSocketPeer = opened[0]
	if opened[1].is_empty() or peer.get_ready_state() != OPEN:
		return
	var seen := await _echo_until_done(peer, opened[1])
	var what := "%s, reading %d B/s" % [role, read_rate]
	var r := _fields(seen["result"])
	if not check(seen["result"].begins_with("result"), "%s: python peer result: %s" % [what, seen["result"]]):
		return
	check(int(r["sent"]) > 0 and int(r["sent"]) == int(r["echoed"]), "%s: every message echoed, in order (%s sent)" % [what, r["sent"]])
	check_eq(int(r["close"]), 1000, "%s: not dropped, closed cleanly" % what)
	check(seen["outbound"] <= peer.outbound_buffer_size, "%s: outbound stays within its limit (%d)" % [what, seen["outbound"]])
	var bound := bound_bytes(peer.inbound_buffer_size, peer.outbound_buffer_size, peer.max_queued_packets)
	check(seen["rss_growth"] <= bound, "%s: peak RSS growth %d bytes within the bound %d" % [what, seen["rss_growth"], bound])
	print("       data flood %s: %s, %d polls waiting for room, peak RSS growth %d KiB (bound %d KiB)" % [
		what, seen["result"], seen["waits"], seen["rss_growth"] / 1024, bound / 1024])


func test_sender_that_never_reads_while_our_server_echoes() -> void:
	await _data_flood("server", 3.0, 0)


func test_sender_that_never_reads_while_our_client_echoes() -> void:
	await _data_flood("client", 3.0, 0)


func test_reader_of_one_byte_a_second() -> void:
	await _data_flood("server", 4.0, 1)
