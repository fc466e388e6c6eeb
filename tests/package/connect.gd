# Opens a loopback connection with RustWebSocketPeer on both ends, echoes one text and
# one binary message, closes cleanly, and quits with 0 only if all of that happened.
extends Node

var tcp := TCPServer.new()
var server: RustWebSocketPeer
var client := RustWebSocketPeer.new()
var sent := false
var got: Array = []
var deadline := Time.get_ticks_msec() + 10000


func _ready() -> void:
	if tcp.listen(0, "127.0.0.1") != OK:
		_finish(false, "listen failed")
		return
	var err := client.connect_to_url("ws://127.0.0.1:%d/" % tcp.get_local_port())
	if err != OK:
		_finish(false, "connect_to_url returned %s" % error_string(err))


func _process(_delta: float) -> void:
	if Time.get_ticks_msec() > deadline:
		_finish(false, "timed out in state %d, got %s" % [client.get_ready_state(), got])
		return
	if server == null and tcp.is_connection_available():
		server = RustWebSocketPeer.new()
		server.accept_stream(tcp.take_connection())
	if server:
		server.poll()
		while server.get_available_packet_count() > 0:
			var data := server.get_packet()
			var mode := RustWebSocketPeer.WRITE_MODE_TEXT if server.was_string_packet() else RustWebSocketPeer.WRITE_MODE_BINARY
			server.send(data, mode)
	client.poll()
	match client.get_ready_state():
		RustWebSocketPeer.STATE_OPEN:
			if not sent:
				client.send_text("hello from the zip")
				client.put_packet(PackedByteArray([0, 1, 2, 255]))
				sent = true
			while client.get_available_packet_count() > 0:
				var data := client.get_packet()
				var text := client.was_string_packet()  # describes the packet just read
				got.append(data.get_string_from_utf8() if text else data)
			if got.size() == 2:
				client.close(1000, "done")
		RustWebSocketPeer.STATE_CLOSED:
			var ok := got == ["hello from the zip", PackedByteArray([0, 1, 2, 255])] \
				and client.get_close_code() == 1000
			_finish(ok, "echoed %s, close code %d" % [got, client.get_close_code()])


func _finish(ok: bool, what: String) -> void:
	set_process(false)
	print("[package scene] %s: %s" % ["OK" if ok else "FAIL", what])
	get_tree().quit(0 if ok else 1)
