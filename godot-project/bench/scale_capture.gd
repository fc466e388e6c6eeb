# Captures the packets a real Godot client exchanges for the scale benchmark's RPCs, so
# that ws-loadgen can replay them byte for byte (scripts/bench-scale runs this first).
#
#   godot --headless --path PROJECT --script res://bench/scale_capture.gd -- --out=PATH
#
# One process: a SceneMultiplayer server (RustWebSocketMultiplayerPeer, server_relay off)
# and one SceneMultiplayer client whose RustWebSocketMultiplayerPeer is wrapped in
# bench/packet_log_peer.gd. In the order bench/scale_server.gd does them: two broadcasts
# of Scale.news() (the first also carries the node's path, which the client confirms),
# then calls of Scale.report() from the client (the first with the path set-up, which
# the server confirms). PATH gets one line per group of packets, hex:
#   broadcast_first_receive   what the client receives for the first broadcast (the RPC last)
#   broadcast_first_reply     what the client sends back (the path confirmation)
#   broadcast_steady_receive  what it receives for a later broadcast
#   call_first_send           what it sends for its first call
#   call_first_receive        what it receives back (the path confirmation)
#   call_steady_send          what it sends for each later call
extends SceneTree

const ScaleNode := preload("res://bench/scale_node.gd")
const PacketLogPeer := preload("res://bench/packet_log_peer.gd")

var failed := false


func _initialize() -> void:
	_main.call_deferred()


func _main() -> void:
	var out_path := ""
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--out="):
			out_path = arg.trim_prefix("--out=")
	if out_path == "":
		printerr("scale_capture: give --out=PATH")
		quit(2)
		return
	multiplayer_poll = false
	var server := _side("Server")
	var client := _side("Client")
	var server_peer := RustWebSocketMultiplayerPeer.new()
	var port := 0
	for attempt in 20:
		port = 20000 + randi() % 12000
		if server_peer.create_server(port, "127.0.0.1") == OK:
			break
		port = 0
	if port == 0:
		return _fail("create_server failed on 20 ports")
	server.api.server_relay = false
	server.api.multiplayer_peer = server_peer
	var client_peer := RustWebSocketMultiplayerPeer.new()
	client_peer.create_client("ws://127.0.0.1:%d/" % port)
	var logger = PacketLogPeer.new(client_peer)
	client.api.multiplayer_peer = logger
	var poll := func():
		server.api.poll()
		client.api.poll()

	logger.phase = "connect"
	if not _until(poll, func(): return client.api.get_unique_id() > 1 and server.api.get_peers().size() == 1):
		return _fail("the client did not connect")
	logger.phase = "bcast1"
	server.node.rpc("news")
	if not _until(poll, func(): return client.node.news_count == 1):
		return _fail("the first broadcast did not arrive")
	_settle(poll)  # the client's path confirmation reaches the server
	logger.phase = "bcast2"
	server.node.rpc("news")
	if not _until(poll, func(): return client.node.news_count == 2):
		return _fail("the second broadcast did not arrive")
	_settle(poll)
	for call in 3:
		logger.phase = "call%d" % (call + 1)
		client.node.rpc_id(1, "report")
		if not _until(poll, func(): return server.node.calls == call + 1):
			return _fail("call %d did not arrive" % (call + 1))
		_settle(poll)  # the first: the server's path confirmation reaches the client

	var groups := {
		"broadcast_first_receive": _packets(logger.log, "in", "bcast1"),
		"broadcast_first_reply": _packets(logger.log, "out", "bcast1"),
		"broadcast_steady_receive": _packets(logger.log, "in", "bcast2"),
		"call_first_send": _packets(logger.log, "out", "call1"),
		"call_first_receive": _packets(logger.log, "in", "call1"),
		"call_steady_send": _packets(logger.log, "out", "call2"),
	}
	# What the replay relies on: one packet for a later broadcast and for a later call,
	# the same bytes every time, and nothing else on the wire.
	if groups.broadcast_steady_receive.size() != 1 or groups.call_steady_send.size() != 1:
		return _fail("a later broadcast or call is not one packet: %s" % [groups])
	if _packets(logger.log, "out", "call3") != groups.call_steady_send:
		return _fail("the second and third calls differ: %s" % [_packets(logger.log, "out", "call3")])
	if groups.broadcast_first_receive.is_empty() or groups.call_first_send.is_empty():
		return _fail("nothing captured for the first broadcast or call: %s" % [groups])
	if not _packets(logger.log, "in", "call2").is_empty() or not _packets(logger.log, "in", "connect").is_empty():
		return _fail("unexpected packets: %s" % [logger.log])
	var text := "# bench/scale_capture.gd, Godot %s, RustWebSocketMultiplayerPeer client and server\n" % Engine.get_version_info().string
	for key in groups:
		var hexes: PackedStringArray = []
		for packet: PackedByteArray in groups[key]:
			hexes.append(packet.hex_encode())
		text += "%s %s\n" % [key, " ".join(hexes)]
	var f := FileAccess.open(out_path, FileAccess.WRITE)
	if f == null:
		return _fail("cannot write %s: %s" % [out_path, error_string(FileAccess.get_open_error())])
	f.store_string(text)
	f.close()
	print(text.strip_edges())
	print("scale_capture: wrote ", out_path)
	client.api.multiplayer_peer = null
	server.api.multiplayer_peer = null
	client_peer.close()
	server_peer.close()
	quit(0)


func _side(name: String) -> Dictionary:
	var branch := Node.new()
	branch.name = name
	var node: Node = ScaleNode.new()
	node.name = "Scale"
	branch.add_child(node)
	root.add_child(branch)
	var api := SceneMultiplayer.new()
	set_multiplayer(api, branch.get_path())
	return {"api": api, "node": node}


## Polls until `done` holds, for at most 5 s.
func _until(poll: Callable, done: Callable) -> bool:
	var deadline := Time.get_ticks_msec() + 5000
	while not done.call():
		poll.call()
		OS.delay_usec(500)
		if Time.get_ticks_msec() > deadline:
			return false
	return true


func _settle(poll: Callable) -> void:
	for i in 100:
		poll.call()
		OS.delay_usec(500)


func _packets(log: Array, direction: String, phase: String) -> Array:
	var out: Array = []
	for entry in log:
		if entry[0] == direction and entry[1] == phase:
			out.append(entry[2])
	return out


func _fail(why: String) -> void:
	printerr("scale_capture: FAIL: ", why)
	quit(1)
