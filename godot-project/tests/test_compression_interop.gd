# permessage-deflate against Python `websockets` (deflate by default) and Node
# `ws` (perMessageDeflate: true), both ways, and headless Chromium (which always
# offers it) as a client: each side asserts from the handshake response that compression was
# negotiated, and text and binary messages of 0 B to 1 MiB echo back intact.
extends "res://tests/test_case.gd"

const OPEN := 1
const CLOSED := 3
const SIZES := [0, 1, 125, 126, 200, 4096, 65535, 65536, 1 << 20]


## Starts the Python or Node peer (tests/peers/deflate_peer.py, node/deflate_peer.js), or
## the Chromium client (node/chromium_client.js, which only takes the URL after "client").
func _foreign_peer(kind: String, args: Array) -> Dictionary:
	var peers := ProjectSettings.globalize_path("res://").path_join("../tests/peers").simplify_path()
	var proc := {}
	if kind == "python":
		var python := OS.get_environment("WS_PYTHON")
		if not check(python != "", "WS_PYTHON names the peers' python (tests/godot-tests provisions it)"):
			return {}
		proc = OS.execute_with_pipe(python, [peers.path_join("deflate_peer.py")] + args)
	else:
		if not check(OS.get_environment("WS_NODE_MODULES") != "", "WS_NODE_MODULES names the Node peers' packages (tests/godot-tests provisions them)"):
			return {}
		if kind == "chromium":
			var chromium := OS.get_environment("WS_CHROMIUM")
			if not check(chromium != "", "WS_CHROMIUM names a Chromium (tests/godot-tests provisions it)"):
				return {}
			proc = OS.execute_with_pipe("node", [peers.path_join("node/chromium_client.js"), chromium, args[1]])
		else:
			proc = OS.execute_with_pipe("node", [peers.path_join("node/deflate_peer.js")] + args)
	check(not proc.is_empty(), "%s peer started" % kind)
	return proc


func _compressing_peer() -> RustWebSocketPeer:
	var peer: RustWebSocketPeer = own(RustWebSocketPeer.new())
	peer.compression_enabled = true
	peer.inbound_buffer_size = 2 << 20
	peer.outbound_buffer_size = 0
	return peer


func test_python_client_to_our_server() -> void:
	await _foreign_client_to_our_server("python")


func test_node_client_to_our_server() -> void:
	await _foreign_client_to_our_server("node")


## A browser can only be a client.
func test_chromium_client_to_our_server() -> void:
	await _foreign_client_to_our_server("chromium")


func test_our_client_to_python_server() -> void:
	await _our_client_to_foreign_server("python")


func test_our_client_to_node_server() -> void:
	await _our_client_to_foreign_server("node")


func _foreign_client_to_our_server(kind: String) -> void:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var proc := _foreign_peer(kind, ["client", "ws://127.0.0.1:%d/" % tcp.get_local_port()])
	if proc.is_empty():
		return
	# Chromium takes seconds to start; a client that gave up says why in its lines.
	var running := func(): return OS.is_process_running(proc["pid"])
	await poll_until([], func(): return tcp.is_connection_available() or not running.call(), 90.0)
	if not tcp.is_connection_available():
		if running.call():
			OS.kill(proc["pid"])
			check(false, "the %s client connected within 90 s" % kind)
		else:
			check(false, "the %s client connected: %s" % [kind, _lines(proc)])
		return
	var server := _compressing_peer()
	server.accept_stream(tcp.take_connection())
	var done := await poll_until([server], func():
		while server.get_available_packet_count() > 0:
			var data := server.get_packet()
			var mode := RustWebSocketPeer.WRITE_MODE_TEXT if server.was_string_packet() else RustWebSocketPeer.WRITE_MODE_BINARY
			check_eq(server.send(data, mode), OK, "echo sent")
		return not OS.is_process_running(proc["pid"]), 120.0)
	check(done, "the %s client finished in time" % kind)
	var lines := _lines(proc)
	if kind == "chromium" and lines[0].begins_with("chromium "):
		print("       ", lines[0])
	check(lines.has("extensions permessage-deflate"), "%s saw compression accepted: %s" % [kind, lines])
	check(lines.has("result passed=%d failed=0" % (SIZES.size() * 2)), "%s: every echo intact: %s" % [kind, lines])
	await poll_until([server], func(): return server.get_ready_state() == CLOSED, 5.0)


func _our_client_to_foreign_server(kind: String) -> void:
	var proc := _foreign_peer(kind, ["server"])
	if proc.is_empty():
		return
	var port := int(proc["stdio"].get_line())
	var client := _compressing_peer()
	client.connect_to_url("ws://127.0.0.1:%d/" % port)
	check(await poll_until([client], func(): return client.get_ready_state() == OPEN, 10.0), "open")
	var agreed := client.get_negotiated_extensions()
	check(agreed.begins_with("permessage-deflate"), "%s server agreed, as the client sees it: %s" % [kind, agreed])
	var sent := 0
	for size in SIZES:
		var text := '{"id":1,"pos":[1.5,2.5],"hp":100},'.repeat(size / 34 + 1).left(size)
		var binary := PackedByteArray()
		binary.resize(size)
		for i in size:
			binary[i] = (i * 7919) % 251
		for m in [[text.to_utf8_buffer(), true], [binary, false]]:
			client.send(m[0], RustWebSocketPeer.WRITE_MODE_TEXT if m[1] else RustWebSocketPeer.WRITE_MODE_BINARY)
			await poll_until([client], func(): return client.get_available_packet_count() > 0, 10.0)
			check(client.get_packet() == m[0], "%d-byte %s echo intact" % [size, "text" if m[1] else "binary"])
			check_eq(client.was_string_packet(), m[1], "%d-byte echo keeps its type" % size)
			sent += 1
	client.close()
	await poll_until([client], func(): return client.get_ready_state() == CLOSED, 5.0)
	OS.kill(proc["pid"])
	# The server's response header, as the foreign server sent it.
	var line: String = proc["stdio"].get_line()
	check(line.begins_with("extensions permessage-deflate"), "%s server accepted compression: %s" % [kind, line])
	check_eq("extensions " + agreed, line, "get_negotiated_extensions() is the header the server sent")
	check_eq(sent, SIZES.size() * 2, "every message sent")


## The client's lines up to its result (a pipe may never report its end).
static func _lines(proc: Dictionary) -> Array:
	var out := []
	var stdio: FileAccess = proc["stdio"]
	for i in 50:
		var line := stdio.get_line()
		out.append(line)
		if line.begins_with("result") or line.begins_with("error") or stdio.eof_reached():
			break
	return out
