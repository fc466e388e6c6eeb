# Minimal echo: a TCPServer hands each connection to a RustWebSocketPeer that
# echoes; a RustWebSocketPeer client sends a few messages and checks the echoes.
extends Node

const PORT := 0  # any free port

var tcp := TCPServer.new()
var server_peers: Array = []
var client := RustWebSocketPeer.new()
var to_send := ["hello", "héllo wörld", PackedByteArray([0, 1, 2, 255])]
var received: Array = []
var deadline := 0


func _ready() -> void:
	tcp.listen(PORT, "127.0.0.1")
	var url := "ws://127.0.0.1:%d/echo" % tcp.get_local_port()
	print("[echo] server listening, client connecting to ", url)
	client.connect_to_url(url)
	deadline = Time.get_ticks_msec() + 5000


func _process(_delta: float) -> void:
	while tcp.is_connection_available():
		var peer := RustWebSocketPeer.new()
		peer.accept_stream(tcp.take_connection())
		server_peers.append(peer)
	for peer in server_peers:
		peer.poll()
		while peer.get_available_packet_count() > 0:
			var data: PackedByteArray = peer.get_packet()
			peer.send(data, RustWebSocketPeer.WRITE_MODE_TEXT if peer.was_string_packet() else RustWebSocketPeer.WRITE_MODE_BINARY)
	client.poll()
	match client.get_ready_state():
		RustWebSocketPeer.STATE_OPEN:
			if not to_send.is_empty():
				var message = to_send.pop_front()
				if message is String:
					client.send_text(message)
				else:
					client.put_packet(message)
				print("[echo] client sent ", message)
			while client.get_available_packet_count() > 0:
				var data: PackedByteArray = client.get_packet()
				var echoed = data.get_string_from_utf8() if client.was_string_packet() else data
				print("[echo] client got back ", echoed)
				received.append(echoed)
			if received.size() == 3:
				client.close(1000, "all echoed")
		RustWebSocketPeer.STATE_CLOSED:
			print("[echo] closed with code %d, reason \"%s\"" % [client.get_close_code(), client.get_close_reason()])
			var ok := received == ["hello", "héllo wörld", PackedByteArray([0, 1, 2, 255])] and client.get_close_code() == 1000
			print("[echo] ", "OK" if ok else "FAILED")
			_finish(ok)
	if Time.get_ticks_msec() > deadline:
		print("[echo] FAILED: timed out")
		_finish(false)


func _finish(ok: bool) -> void:
	tcp.stop()
	set_process(false)
	get_tree().quit(0 if ok else 1)
