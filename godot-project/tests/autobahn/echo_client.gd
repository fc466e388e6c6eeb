# Autobahn|Testsuite echo client, run in the real engine by
# tests/autobahn/godot/ws-echo-client (see tests/autobahn/run.sh for the contract):
#   godot --headless --path godot-project --script res://tests/autobahn/echo_client.gd -- <base-ws-url> <agent>
# Reads <base>/getCaseCount, runs every case at <base>/runCase?case=N&agent=<agent>
# echoing each message back with its type, then opens <base>/updateReports?agent=<agent>.
# RustWebSocketPeer is used as a game would use it: poll, read while packets are
# available, send; several polls per frame so the run is not paced by the frame rate.
# Quits with 1 on its own errors (bad arguments, a connection that cannot start or
# never ends, a case count that is not a number, an unexpected send/read error);
# how each case went is wstest's business.
extends SceneTree

const BUFFER_SIZE := 1 << 26  # 64 MiB: Autobahn 9.* sends messages of up to 16 MiB
const MAX_QUEUED_PACKETS := 1 << 16
## Polls per frame at most; a frame ends early once a poll brings nothing new.
const POLLS_PER_FRAME := 32
## A connection not CLOSED after this long is given up on (an error).
const SESSION_TIMEOUT_MS := 120_000

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
	if args.size() != 2:
		printerr("usage: echo_client.gd -- <base-ws-url> <agent>")
		quit(2)
		return
	var base: String = args[0].trim_suffix("/")
	var agent: String = args[1].uri_encode()
	var started := Time.get_ticks_msec()

	var messages = await _session(base + "/getCaseCount", false)
	if messages == null or messages.size() != 1 or not messages[0].strip_edges().is_valid_int():
		_error("getCaseCount: expected one message with a number, got %s" % [messages])
		quit(1)
		return
	var count: int = messages[0].strip_edges().to_int()
	print("echo_client: %d cases" % count)

	for case in range(1, count + 1):
		await _session("%s/runCase?case=%d&agent=%s" % [base, case, agent], true)
		if case % 50 == 0 or case == count:
			print("echo_client: %d/%d cases done (%.1fs)" % [case, count, (Time.get_ticks_msec() - started) / 1000.0])

	if await _session("%s/updateReports?agent=%s" % [base, agent], false) == null:
		_error("updateReports failed")
	print("echo_client: done in %.1fs, %d error(s)" % [(Time.get_ticks_msec() - started) / 1000.0, errors])
	quit(1 if errors > 0 else 0)


## Opens `url` and runs the connection until it is CLOSED, echoing every message
## when `echo`, else collecting them (as text). Returns the collected messages, or
## null when the connection could not start or did not end in time.
func _session(url: String, echo: bool):
	var peer := RustWebSocketPeer.new()
	peer.inbound_buffer_size = BUFFER_SIZE
	peer.outbound_buffer_size = BUFFER_SIZE
	peer.max_queued_packets = MAX_QUEUED_PACKETS
	var err := peer.connect_to_url(url)
	if err != OK:
		_error("%s: connect_to_url failed: %s" % [url, error_string(err)])
		return null
	var received: Array[String] = []
	var deadline := Time.get_ticks_msec() + SESSION_TIMEOUT_MS
	while true:
		for i in POLLS_PER_FRAME:
			peer.poll()
			var state := peer.get_ready_state()
			if state == RustWebSocketPeer.STATE_CLOSED:
				return received
			var got := 0
			while state == RustWebSocketPeer.STATE_OPEN and peer.get_available_packet_count() > 0:
				var packet := peer.get_packet()
				if peer.get_packet_error() != OK:
					_error("%s: get_packet failed: %s" % [url, error_string(peer.get_packet_error())])
					break
				got += 1
				var is_text := peer.was_string_packet()
				if echo:
					if is_text:
						err = peer.send(packet, RustWebSocketPeer.WRITE_MODE_TEXT)
					else:
						# Not put_packet(): the engine's PacketPeer.put_packet() drops empty
						# packets before they reach the peer (Autobahn 1.2.1 sends one).
						err = peer.send(packet, RustWebSocketPeer.WRITE_MODE_BINARY)
					# FAILED: the connection ended (the peer closed or failed it) while
					# messages it had sent before were still unread: nothing to echo to.
					if err != OK and err != FAILED:
						_error("%s: send of %d bytes failed: %s" % [url, packet.size(), error_string(err)])
				else:
					received.append(packet.get_string_from_utf8())
				state = peer.get_ready_state()
			if got == 0:
				break
		if Time.get_ticks_msec() > deadline:
			_error("%s: not closed after %d s (state %d), dropping it" % [url, SESSION_TIMEOUT_MS / 1000, peer.get_ready_state()])
			peer.close(-1)
			return null
		await process_frame
	return null


func _error(what: String) -> void:
	errors += 1
	printerr("echo_client: ERROR: " + what)
