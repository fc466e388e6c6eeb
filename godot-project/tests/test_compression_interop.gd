# permessage-deflate against Python `websockets` (deflate by default), both
# ways: each side asserts from the handshake response that compression was
# negotiated, and text and binary messages of 0 B to 1 MiB echo back intact.
extends "res://tests/test_case.gd"

const OPEN := 1
const CLOSED := 3
const SIZES := [0, 1, 125, 126, 200, 4096, 65535, 65536, 1 << 20]


func _python_peer(args: Array) -> Dictionary:
	var python := OS.get_environment("WS_PYTHON")
	if not check(python != "", "WS_PYTHON names the peers' python (tests/godot-tests provisions it)"):
		return {}
	var script := ProjectSettings.globalize_path("res://").path_join("../tests/peers/deflate_peer.py").simplify_path()
	var proc := OS.execute_with_pipe(python, [script] + args)
	check(not proc.is_empty(), "python peer started")
	return proc


func _compressing_peer() -> RustWebSocketPeer:
	var peer: RustWebSocketPeer = own(RustWebSocketPeer.new())
	peer.compression_enabled = true
	peer.inbound_buffer_size = 2 << 20
	peer.outbound_buffer_size = 0
	return peer


func test_python_client_to_our_server() -> void:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var proc := _python_peer(["client", "ws://127.0.0.1:%d/" % tcp.get_local_port()])
	if proc.is_empty():
		return
	await poll_until([], func(): return tcp.is_connection_available(), 10.0)
	var server := _compressing_peer()
	server.accept_stream(tcp.take_connection())
	var done := await poll_until([server], func():
		while server.get_available_packet_count() > 0:
			var data := server.get_packet()
			var mode := RustWebSocketPeer.WRITE_MODE_TEXT if server.was_string_packet() else RustWebSocketPeer.WRITE_MODE_BINARY
			check_eq(server.send(data, mode), OK, "echo sent")
		return not OS.is_process_running(proc["pid"]), 60.0)
	check(done, "the python client finished in time")
	var lines := _lines(proc)
	check(lines.has("extensions permessage-deflate"), "python saw compression accepted: %s" % [lines])
	check(lines.has("result passed=%d failed=0" % (SIZES.size() * 2)), "every echo intact: %s" % [lines])
	await poll_until([server], func(): return server.get_ready_state() == CLOSED, 5.0)


func test_our_client_to_python_server() -> void:
	var proc := _python_peer(["server"])
	if proc.is_empty():
		return
	var port := int(proc["stdio"].get_line())
	var client := _compressing_peer()
	client.connect_to_url("ws://127.0.0.1:%d/" % port)
	check(await poll_until([client], func(): return client.get_ready_state() == OPEN, 10.0), "open")
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
	# The server's response header, as the python server sent it.
	var line: String = proc["stdio"].get_line()
	check(line.begins_with("extensions permessage-deflate"), "python server accepted compression: %s" % line)
	check_eq(sent, SIZES.size() * 2, "every message sent")


## The client's lines up to its result (a pipe may never report its end).
static func _lines(proc: Dictionary) -> Array:
	var out := []
	var stdio: FileAccess = proc["stdio"]
	for i in 50:
		var line := stdio.get_line()
		out.append(line)
		if line.begins_with("result") or stdio.eof_reached():
			break
	return out
