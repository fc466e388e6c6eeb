# Memory per connected multiplayer client, in a process of its own: run by
# bench/multiplayer_bench.gd once per class, so that neither class can reuse memory
# the other (or an earlier measurement) freed; RSS never shrinks back.
#
#   godot --headless --path godot-project --script res://bench/multiplayer_memory.gd \
#         -- --class=RustWebSocketMultiplayerPeer --clients=500
#
# Prints one line `MP_MEMORY {json}` with the result, or `MP_MEMORY_PROBLEM text`.
extends SceneTree

const ProcessStats := preload("res://bench/process_stats.gd")

const MultiplayerBench := preload("res://bench/multiplayer_bench.gd")


func _initialize() -> void:
	_main.call_deferred()


func _main() -> void:
	var cls := ""
	var clients := 0
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--class="):
			cls = arg.trim_prefix("--class=")
		elif arg.begins_with("--clients="):
			clients = arg.trim_prefix("--clients=").to_int()
	if not ClassDB.class_exists(cls) or clients < 1:
		_problem("usage: --class=<a MultiplayerPeer class> --clients=N")
		quit(2)
		return
	var rows := MultiplayerBench.new(self)
	rows._measure_memory(cls, MultiplayerBench.BATCH)  # one-time costs, not charged per client
	var r: Dictionary = rows._measure_memory(cls, clients)
	if not r.is_empty():
		print("MP_MEMORY ", JSON.stringify(r))
	quit(0 if not r.is_empty() else 1)


func _problem(what: String) -> void:
	print("MP_MEMORY_PROBLEM ", what)


func _rss_kib() -> int:
	return ProcessStats.rss_kib()
