# How many frames a client takes from connect_to_url() to OPEN, polled once a frame
# with its server, compared with the engine's class: never more. `localhost` and IP
# literals need no name lookup, so no frame is spent waiting for one.
extends "res://tests/test_case.gd"

const OPEN := 1


func _frames_to_open(client_cls, host: String) -> int:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "*")
	var client = own(client_cls.new())
	var server: RustWebSocketPeer = null
	if client.connect_to_url("ws://%s:%d/" % [host, tcp.get_local_port()]) != OK:
		return -1
	for count in range(1, 300):
		client.poll()
		if server == null and tcp.is_connection_available():
			server = own(RustWebSocketPeer.new())
			server.accept_stream(tcp.take_connection())
		if server != null:
			server.poll()
		if client.get_ready_state() == OPEN:
			return count
		await frame()
	return -1


func test_connects_in_no_more_frames_than_the_engine() -> void:
	for host in ["localhost", "127.0.0.1", "LocalHost"]:
		var engine := await _frames_to_open(WebSocketPeer, host)
		var ours := await _frames_to_open(RustWebSocketPeer, host)
		print("  frames to OPEN via %s: engine %d, ours %d" % [host, engine, ours])
		check(engine > 0 and ours > 0, "%s: both open" % host)
		check(ours <= engine, "%s: ours %d frames, engine %d" % [host, ours, engine])
