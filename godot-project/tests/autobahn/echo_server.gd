# Autobahn|Testsuite echo server, run in the real engine by
# tests/autobahn/godot/ws-echo-server (see tests/autobahn/run.sh for the contract):
#   godot --headless --path godot-project --script res://tests/autobahn/echo_server.gd -- <port>
# Listens on 127.0.0.1:<port> with a TCPServer, hands every connection to a new
# RustWebSocketPeer (accept_stream), echoes every message back with its type and
# drops peers once CLOSED. Runs until killed. Quits with 1 if it cannot listen;
# other errors of its own are printed as "echo_server: ERROR: ...".
extends SceneTree

const BUFFER_SIZE := 1 << 26  # 64 MiB: Autobahn 9.* sends messages of up to 16 MiB
const MAX_QUEUED_PACKETS := 1 << 16
## Polls per frame at most; a frame ends early once a round brings nothing new.
const POLLS_PER_FRAME := 32

var tcp := TCPServer.new()
var peers: Array[RustWebSocketPeer] = []
var accepted := 0
var errors := 0


func _initialize() -> void:
	# Headless Godot sleeps low_processor_usage_mode_sleep_usec every frame (it cannot
	# draw), which would pace every round trip; Autobahn 9.7/9.8 make 1000 of them per case.
	OS.low_processor_usage_mode = false
	OS.low_processor_usage_mode_sleep_usec = 0
	Engine.max_fps = 0
	_main.call_deferred()


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
		var peer := RustWebSocketPeer.new()
		peer.inbound_buffer_size = BUFFER_SIZE
		peer.outbound_buffer_size = BUFFER_SIZE
		peer.max_queued_packets = MAX_QUEUED_PACKETS
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
			var err: Error
			if peer.was_string_packet():
				err = peer.send(packet, RustWebSocketPeer.WRITE_MODE_TEXT)
			else:
				# Not put_packet(): the engine's PacketPeer.put_packet() drops empty
				# packets before they reach the peer (Autobahn 1.2.1 sends one).
				err = peer.send(packet, RustWebSocketPeer.WRITE_MODE_BINARY)
			# FAILED: the connection ended (the peer closed or failed it) while
			# messages it had sent before were still unread: nothing to echo to.
			if err != OK and err != FAILED:
				_error("send of %d bytes failed: %s" % [packet.size(), error_string(err)])
	return got


func _error(what: String) -> void:
	errors += 1
	printerr("echo_server: ERROR: " + what)
