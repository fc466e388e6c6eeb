# A crowd of multiplayer clients in a process of its own, for a server test in another:
# COUNT RustWebSocketMultiplayerPeer clients join URL, print "crowd: N joined" once all
# have their IDs, then keep their connections up (polling, reading what arrives) until
# the test kills this process, or for 60 s at most.
#
#   godot --headless --path PROJECT --script res://tests/multiplayer/crowd.gd -- --url=URL --count=N
extends SceneTree

var clients: Array = []
var announced := false
var deadline := 0


func _initialize() -> void:
	var url := ""
	var count := 0
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--url="):
			url = arg.trim_prefix("--url=")
		elif arg.begins_with("--count="):
			count = arg.trim_prefix("--count=").to_int()
	if url == "" or count <= 0:
		printerr("crowd: give --url=URL --count=N")
		quit(2)
		return
	for i in count:
		var client := RustWebSocketMultiplayerPeer.new()
		if client.create_client(url) != OK:
			printerr("crowd: create_client failed")
			quit(1)
			return
		clients.append(client)
	deadline = Time.get_ticks_msec() + 60000


func _process(_delta: float) -> bool:
	var joined := 0
	for client: RustWebSocketMultiplayerPeer in clients:
		client.poll()
		while client.get_available_packet_count() > 0:
			client.get_packet()
		if client.get_unique_id() != 0:
			joined += 1
	if joined == clients.size() and not announced:
		announced = true
		print("crowd: %d joined" % joined)
	return Time.get_ticks_msec() > deadline
