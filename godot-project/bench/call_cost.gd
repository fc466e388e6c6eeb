# Calls one method of idle OPEN peers N times, for instruction counts under callgrind
# (wall-clock timing is too noisy on a shared machine to compare ~1 µs calls).
#
#   valgrind --tool=callgrind godot --headless --path P --script res://bench/call_cost.gd \
#       -- --class=RustWebSocketPeer --call=poll --side=client --pairs=1 --calls=N
#
#   --class   RustWebSocketPeer or WebSocketPeer
#   --call    poll, get_ready_state or get_available_packet_count
#   --side    client, server or both (which peers of each pair get the calls)
#   --pairs   idle pairs opened over 127.0.0.1 (default 1)
#   --calls   rounds of calls (each round calls every chosen peer once)
#
# Run it twice with different --calls and subtract: the difference divided by the
# extra calls is the cost of one call, GDScript loop and binding included.
extends SceneTree

const PairOpener := preload("res://bench/pair_opener.gd")

const STATE_OPEN := 1

var cls := "RustWebSocketPeer"
var call_name := "poll"
var side := "client"
var pairs := 1
var calls := 1000


func _initialize() -> void:
	for arg: String in OS.get_cmdline_user_args():
		var kv := arg.trim_prefix("--").split("=", true, 1)
		if kv.size() != 2:
			continue
		match kv[0]:
			"class": cls = kv[1]
			"call": call_name = kv[1]
			"side": side = kv[1]
			"pairs": pairs = kv[1].to_int()
			"calls": calls = kv[1].to_int()
	_main.call_deferred()


func _main() -> void:
	var tcp := TCPServer.new()
	if tcp.listen(0, "127.0.0.1") != OK:
		printerr("call_cost: listen failed")
		quit(1)
		return
	var url := "ws://127.0.0.1:%d/" % tcp.get_local_port()
	var clients: Array = []
	var servers: Array = []
	while clients.size() < pairs:
		var pair := PairOpener.open(cls, tcp, url)
		if pair.is_empty():
			printerr("call_cost: pair did not open")
			quit(1)
			return
		clients.append(pair[0])
		servers.append(pair[1])
	tcp.stop()
	var peers: Array = clients if side == "client" else servers if side == "server" else clients + servers
	var t0 := Time.get_ticks_usec()
	match call_name:
		"poll":
			for i in calls:
				for p in peers:
					p.poll()
		"get_ready_state":
			for i in calls:
				for p in peers:
					p.get_ready_state()
		"get_available_packet_count":
			for i in calls:
				for p in peers:
					p.get_available_packet_count()
		_:
			printerr("call_cost: unknown --call=%s" % call_name)
			quit(2)
			return
	var us := Time.get_ticks_usec() - t0
	var open := 0
	for p in clients + servers:
		if p.get_ready_state() == STATE_OPEN:
			open += 1
	print("call_cost: %s %s %s x%d on %d peer(s): %.1f ns per call (wall), %d of %d peers open" % [
		cls, call_name, side, calls, peers.size(), us * 1000.0 / (calls * peers.size()), open, 2 * pairs])
	for p in clients + servers:
		p.close(-1)
	quit(0 if open == 2 * pairs else 1)
