# Run in a child Godot by test_failures.gd, with and without --verbose: opens a pair of
# RustWebSocketPeer over 127.0.0.1, then drops the server side without a Close frame, so
# the client sees an open connection end. Prints "open_end: done kind=K" when the client
# is CLOSED; what else it prints is what the test looks at.
extends SceneTree


func _initialize() -> void:
	_run.call_deferred()


func _run() -> void:
	var tcp := TCPServer.new()
	tcp.listen(0, "127.0.0.1")
	var client := RustWebSocketPeer.new()
	client.connect_to_url("ws://127.0.0.1:%d/open-end" % tcp.get_local_port())
	var server := RustWebSocketPeer.new()
	var deadline := Time.get_ticks_msec() + 10000
	var accepted := false
	while Time.get_ticks_msec() < deadline:
		client.poll()
		if not accepted and tcp.is_connection_available():
			server.accept_stream(tcp.take_connection())
			accepted = true
		if accepted:
			server.poll()
		if client.get_ready_state() == RustWebSocketPeer.STATE_OPEN and server.get_ready_state() == RustWebSocketPeer.STATE_OPEN:
			break
		OS.delay_msec(1)
	server.close(-1)
	while Time.get_ticks_msec() < deadline and client.get_ready_state() != RustWebSocketPeer.STATE_CLOSED:
		client.poll()
		OS.delay_msec(1)
	print("open_end: done kind=%d" % client.get_failure_kind())
	quit(0)
