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


## A name that /etc/hosts maps to a loopback address (not `localhost`, which needs
## no lookup), e.g. the machine's own name; "" if there is none.
func _loopback_host_name() -> String:
	var hosts := FileAccess.get_file_as_string("/etc/hosts")
	for line in hosts.split("\n", false):
		var fields := line.get_slice("#", 0).replace("\t", " ").split(" ", false)
		if fields.size() < 2 or not fields[0].begins_with("127."):
			continue
		for name in fields.slice(1):
			if not name.to_lower().begins_with("localhost") and not name.is_valid_ip_address():
				return name
	return ""


func test_host_names_connect_in_no_more_frames_than_the_engine() -> void:
	var host := _loopback_host_name()
	if not check(host != "", "/etc/hosts names a loopback address other than localhost"):
		return
	# The first connection looks the name up (each class on its own); the second finds
	# it in the class's cache: the engine keeps names forever, ours for 30 s.
	var engine_cold := await _frames_to_open(WebSocketPeer, host)
	var ours_cold := await _frames_to_open(RustWebSocketPeer, host)
	var engine_warm := await _frames_to_open(WebSocketPeer, host)
	var ours_warm := await _frames_to_open(RustWebSocketPeer, host)
	print("  frames to OPEN via %s: engine %d then %d, ours %d then %d" % [
		host, engine_cold, engine_warm, ours_cold, ours_warm])
	check(engine_cold > 0 and ours_cold > 0 and engine_warm > 0 and ours_warm > 0, "%s: all open" % host)
	# A first lookup races the lookup thread against the scheduler (poll() waits at most
	# 1 ms for it): on a loaded machine it may land one frame later, as the engine's may.
	check(ours_cold <= engine_cold + 1, "%s, first lookup: ours %d frames, engine %d" % [host, ours_cold, engine_cold])
	check(ours_warm <= engine_warm, "%s, cached: ours %d frames, engine %d" % [host, ours_warm, engine_warm])
