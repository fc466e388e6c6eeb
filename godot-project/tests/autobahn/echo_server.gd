# Autobahn|Testsuite echo server, run in the real engine by
# tests/autobahn/godot/ws-echo-server (see tests/autobahn/run.sh for the contract):
#   godot --headless --path godot-project --script res://tests/autobahn/echo_server.gd -- <port>
# Listens on 127.0.0.1:<port> with a TCPServer, hands every connection to a new
# RustWebSocketPeer (accept_stream), echoes every message back with its type and
# drops peers once CLOSED. Runs until killed. Quits with 1 if it cannot listen;
# other errors of its own are printed as "echo_server: ERROR: ...".
extends "res://tests/autobahn/echo_peer.gd"

var tcp := TCPServer.new()
var peers: Array[RustWebSocketPeer] = []
var accepted := 0


func _main() -> void:
	var args := OS.get_cmdline_user_args()
	if args.size() != 1 or not args[0].is_valid_int():
		printerr("usage: echo_server.gd -- <port>")
		quit(2)
		return
	var port := args[0].to_int()
	var err := tcp.listen(port, "127.0.0.1")
	if err != OK:
		printerr("echo_server: ERROR: cannot listen on 127.0.0.1:%d: %s" % [port, error_string(err)])
		quit(1)
		return
	print("echo_server: listening on 127.0.0.1:%d" % port)
	var last_report := Time.get_ticks_msec()
	while true:
		_accept()
		for i in POLLS_PER_FRAME:
			if _poll_all() == 0:
				break
		peers = peers.filter(func(p: RustWebSocketPeer): return p.get_ready_state() != RustWebSocketPeer.STATE_CLOSED)
		if Time.get_ticks_msec() - last_report > 30_000:
			last_report = Time.get_ticks_msec()
			print("echo_server: %d connections accepted, %d open, %d error(s)" % [accepted, peers.size(), errors])
		await process_frame


## Takes every pending connection (the listen backlog is small).
func _accept() -> void:
	while tcp.is_connection_available():
		var connection := tcp.take_connection()
		if connection == null:
			_error("take_connection returned null")
			return
		var peer := _new_peer()
		var err := peer.accept_stream(connection)
		if err != OK:
			_error("accept_stream failed: %s" % error_string(err))
			continue
		accepted += 1
		peers.append(peer)


## Polls every peer once and echoes what arrived. Returns the number of messages.
func _poll_all() -> int:
	var got := 0
	for peer in peers:
		peer.poll()
		while peer.get_ready_state() == RustWebSocketPeer.STATE_OPEN and peer.get_available_packet_count() > 0:
			var packet := peer.get_packet()
			if peer.get_packet_error() != OK:
				_error("get_packet failed: %s" % error_string(peer.get_packet_error()))
				break
			got += 1
			_echo(peer, packet, "")
	return got

