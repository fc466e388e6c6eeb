# Opens 1,000 idle pairs one after the other for each class (client connect_to_url,
# server accept_stream of the TCPServer's connection) and prints how long that took and
# what accept_stream itself cost on the calling thread (total and worst call). Ours
# searches for each accepted stream's socket on a thread of its own
# (rust/godot/src/transport/socket_lookup.rs); this shows the game's thread does not pay
# for it as descriptors add up.
#
#   scripts/godot --headless --path <staged release project> --script res://bench/accept_cost.gd
extends SceneTree

const PairOpener := preload("res://bench/pair_opener.gd")
const PAIRS := 1000

var accept_total_us := 0
var accept_worst_us := 0


func _initialize() -> void:
	_main.call_deferred()


func _main() -> void:
	for cls: String in ["WebSocketPeer", "RustWebSocketPeer", "WebSocketPeer", "RustWebSocketPeer"]:
		if not _open_pairs(cls):
			quit(1)
			return
	quit(0)


func _open_pairs(cls: String) -> bool:
	var tcp := TCPServer.new()
	if tcp.listen(0, "127.0.0.1") != OK:
		printerr("accept_cost: listen failed")
		return false
	var url := "ws://127.0.0.1:%d/" % tcp.get_local_port()
	var peers := []
	accept_total_us = 0
	accept_worst_us = 0
	var t0 := Time.get_ticks_usec()
	for i in PAIRS:
		var pair := PairOpener.open(cls, tcp, url, _timed_accept)
		if pair.is_empty():
			printerr("accept_cost: pair %d of %s did not open" % [i, cls])
			return false
		peers.append_array(pair)
	var open_s := (Time.get_ticks_usec() - t0) / 1e6
	print("%-17s %d pairs open in %.2f s; accept_stream %.1f ms in all, worst call %.2f ms" % [
			cls, PAIRS, open_s, accept_total_us / 1000.0, accept_worst_us / 1000.0])
	for p in peers:
		p.close(-1)
	tcp.stop()
	return true


func _timed_accept(server: Object, connection: StreamPeerTCP) -> void:
	var t := Time.get_ticks_usec()
	server.accept_stream(connection)
	var took := Time.get_ticks_usec() - t
	accept_total_us += took
	accept_worst_us = maxi(accept_worst_us, took)
