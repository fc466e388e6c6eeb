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
extends "res://tests/autobahn/echo_peer.gd"

## A connection not CLOSED after this long is given up on (an error).
const SESSION_TIMEOUT_MS := 120_000


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
	var peer := _new_peer()
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
				if echo:
					_echo(peer, packet, url + ": ")
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

