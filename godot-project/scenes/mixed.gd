# RustWebSocketPeer and the engine's WebSocketPeer talking to each other in
# both directions: each sends text and binary, and closes with a code.
extends Node

var runs := [
	["RustWebSocketPeer client", RustWebSocketPeer, "engine WebSocketPeer server", WebSocketPeer],
	["engine WebSocketPeer client", WebSocketPeer, "RustWebSocketPeer server", RustWebSocketPeer],
]
var all_ok := true


func _ready() -> void:
	for run in runs:
		all_ok = await _run(run[0], run[1], run[2], run[3]) and all_ok
	print("[mixed] ", "OK" if all_ok else "FAILED")
	get_tree().quit(0 if all_ok else 1)


func _poll_until(peers: Array, condition: Callable) -> bool:
	var deadline := Time.get_ticks_msec() + 5000
	while Time.get_ticks_msec() < deadline:
		for p in peers:
			p.poll()
		if condition.call():
			return true
		await get_tree().process_frame
	return false


func _run(client_name: String, client_cls, server_name: String, server_cls) -> bool:
	print("[mixed] %s -> %s" % [client_name, server_name])
	var tcp := TCPServer.new()
	tcp.listen(0, "127.0.0.1")
	var client = client_cls.new()
	var server = server_cls.new()
	client.connect_to_url("ws://127.0.0.1:%d/" % tcp.get_local_port())
	await _poll_until([client], func(): return tcp.is_connection_available())
	server.accept_stream(tcp.take_connection())
	var opened := await _poll_until([client, server], func(): return client.get_ready_state() == 1 and server.get_ready_state() == 1)
	client.send_text("text from the client")
	server.put_packet(PackedByteArray([7, 7, 7]))
	await _poll_until([client, server], func(): return client.get_available_packet_count() > 0 and server.get_available_packet_count() > 0)
	var at_server: String = server.get_packet().get_string_from_utf8()
	var server_saw_text: bool = server.was_string_packet()
	var at_client: PackedByteArray = client.get_packet()
	print("[mixed]   server got \"%s\" (text: %s), client got %s" % [at_server, server_saw_text, at_client])
	server.close(4321, "done here")
	await _poll_until([client, server], func(): return client.get_ready_state() == 3 and server.get_ready_state() == 3)
	print("[mixed]   client saw close %d \"%s\"" % [client.get_close_code(), client.get_close_reason()])
	tcp.stop()
	return opened and at_server == "text from the client" and server_saw_text and at_client == PackedByteArray([7, 7, 7]) \
		and client.get_close_code() == 4321 and client.get_close_reason() == "done here"
