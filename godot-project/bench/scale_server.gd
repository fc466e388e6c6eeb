# The server of the multiplayer scale benchmark (scripts/bench-scale): one SceneMultiplayer
# server on RustWebSocketMultiplayerPeer or the engine's WebSocketMultiplayerPeer, its
# clients in another process (ws-loadgen). It measures itself on the runner's commands and
# prints one line per event: `SCALE {json}`.
#
#   godot --headless --path PROJECT --script res://bench/scale_server.gd -- \
#         --class=RustWebSocketMultiplayerPeer|WebSocketMultiplayerPeer --relay=on|off \
#         --clients=N [--fps=60] [--max-queued-packets=N] [--max-seconds=900]
#
# The game loop is Godot's own at --fps frames a second (Engine.max_fps; a dedicated server's
# tick), SceneTree polling off: this script calls multiplayer.poll() once a frame and times it.
# RPCs go through bench/scale_node.gd at <root>/Scale, as in bench/scale_capture.gd.
#
# Commands, one a line, on a TCP connection to 127.0.0.1:<control_port> (in the first line,
# "listening"):
#   idle FRAMES   over FRAMES frames: multiplayer.poll() time, CPU time of the process per
#                 frame; then RSS and static memory against the baseline taken before listening
#   broadcast     Scale.news() to everyone at once; prints the wall-clock time of the call
#   cpu SECONDS   over SECONDS: frames, CPU time per frame, calls that arrived
#   calls         how many Scale.report() calls have arrived
#   quit
# Besides, "peers" lines while the count of connected peers changes (at most 2 a second),
# with the longest poll() since the last one.
extends SceneTree

const ProcessStats := preload("res://bench/process_stats.gd")

const ScaleNode := preload("res://bench/scale_node.gd")
const CLASSES := ["RustWebSocketMultiplayerPeer", "WebSocketMultiplayerPeer"]

var cls := ""
var relay := false
var clients := 0
var fps := 60
var max_queued_packets := 0
var max_seconds := 900.0

var api: SceneMultiplayer
var peer: MultiplayerPeer
var node: Node
var control_server := TCPServer.new()
var control: StreamPeerTCP
var control_buffer := ""
var started_msec := 0

var rss_before := 0
var static_before := 0
var connected := 0
var disconnected := 0
var all_connected_reported := false
var last_peers_report_msec := 0
var last_reported_count := -1
var max_poll_us := 0
var frame := 0
var quitting := false

## The measurement under way: {} or {kind, ...}.
var task := {}


func _initialize() -> void:
	# The root enters the tree after _initialize(): paths (set_multiplayer's) work from then.
	_start.call_deferred()


func _start() -> void:
	started_msec = Time.get_ticks_msec()
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--class="):
			cls = arg.trim_prefix("--class=")
		elif arg.begins_with("--relay="):
			relay = arg.trim_prefix("--relay=") == "on"
		elif arg.begins_with("--clients="):
			clients = arg.trim_prefix("--clients=").to_int()
		elif arg.begins_with("--fps="):
			fps = arg.trim_prefix("--fps=").to_int()
		elif arg.begins_with("--max-queued-packets="):
			max_queued_packets = arg.trim_prefix("--max-queued-packets=").to_int()
		elif arg.begins_with("--max-seconds="):
			max_seconds = arg.trim_prefix("--max-seconds=").to_float()
	if not cls in CLASSES or clients < 1 or fps < 1:
		_fatal("usage: --class=%s --relay=on|off --clients=N [--fps=60] [--max-queued-packets=N]" % "|".join(CLASSES))
		return
	if not ClassDB.class_exists(cls):
		_fatal("class %s is not registered (the extension did not load)" % cls)
		return
	Engine.max_fps = fps
	multiplayer_poll = false
	if control_server.listen(0, "127.0.0.1") != OK:
		_fatal("cannot listen for the control connection")
		return

	var branch := Node.new()
	branch.name = "Server"
	node = ScaleNode.new()
	node.name = "Scale"
	branch.add_child(node)
	root.add_child(branch)
	api = SceneMultiplayer.new()
	api.server_relay = relay
	set_multiplayer(api, branch.get_path())
	api.peer_connected.connect(func(_id): connected += 1)
	api.peer_disconnected.connect(func(_id): disconnected += 1)

	# The baseline, before the server exists.
	rss_before = _rss_kib()
	static_before = OS.get_static_memory_usage()
	peer = ClassDB.instantiate(cls)
	if max_queued_packets > 0:
		peer.max_queued_packets = max_queued_packets
	var port := 0
	for attempt in 40:
		# Below the ephemeral range (32768-60999), where the clients' ports come from.
		var candidate := 20000 + randi() % 12000
		if peer.create_server(candidate, "127.0.0.1") == OK:
			port = candidate
			break
	if port == 0:
		_fatal("create_server failed on 40 ports")
		return
	api.multiplayer_peer = peer
	_emit({"event": "listening", "port": port, "control_port": control_server.get_local_port(),
		"class": cls, "relay": relay, "clients": clients, "fps": fps,
		"max_queued_packets": peer.max_queued_packets, "outbound_buffer_size": peer.outbound_buffer_size,
		"rss_before_kib": rss_before, "static_before": static_before,
		"godot": Engine.get_version_info().string, "pid": OS.get_process_id()})


func _process(_delta: float) -> bool:
	if quitting or api == null:
		return quitting
	var t0 := Time.get_ticks_usec()
	api.poll()
	var poll_us := Time.get_ticks_usec() - t0
	frame += 1
	max_poll_us = maxi(max_poll_us, poll_us)
	_report_peers()
	if not task.is_empty():
		_task_frame(poll_us)
	_read_control()
	if (Time.get_ticks_msec() - started_msec) / 1000.0 > max_seconds:
		_emit({"event": "error", "error": "--max-seconds (%.0f) reached" % max_seconds})
		quitting = true
	return quitting


func _report_peers() -> void:
	var current := connected - disconnected
	var now := Time.get_ticks_msec()
	if current == clients and not all_connected_reported:
		all_connected_reported = true
		_emit({"event": "all_connected", "peers": current, "wall": Time.get_unix_time_from_system(),
			"max_poll_us": max_poll_us, "frame": frame})
	if current != last_reported_count and now - last_peers_report_msec >= 500:
		last_reported_count = current
		last_peers_report_msec = now
		_emit({"event": "peers", "peers": current, "connected": connected, "disconnected": disconnected,
			"max_poll_us": max_poll_us, "frame": frame, "t": (now - started_msec) / 1000.0})
		max_poll_us = 0


# --- commands ---------------------------------------------------------------------------------

func _read_control() -> void:
	if control == null:
		if control_server.is_connection_available():
			control = control_server.take_connection()
		return
	control.poll()
	if control.get_status() != StreamPeerTCP.STATUS_CONNECTED:
		_emit({"event": "error", "error": "the control connection closed"})
		quitting = true
		return
	var available := control.get_available_bytes()
	if available > 0:
		var got := control.get_partial_data(available)
		if got[0] == OK:
			control_buffer += (got[1] as PackedByteArray).get_string_from_utf8()
	while task.is_empty() and control_buffer.contains("\n"):
		var line := control_buffer.get_slice("\n", 0).strip_edges()
		control_buffer = control_buffer.substr(control_buffer.find("\n") + 1)
		if line != "":
			_command(line)


func _command(line: String) -> void:
	var words := line.split(" ", false)
	match words[0]:
		"idle":
			task = {"kind": "idle", "frames": maxi(1, words[1].to_int() if words.size() > 1 else 200),
				"samples": PackedInt64Array(), "cpu0": _cpu_ns(), "wall0": Time.get_ticks_usec()}
		"broadcast":
			var wall := Time.get_unix_time_from_system()
			var t0 := Time.get_ticks_usec()
			node.rpc("news")
			var call_us := Time.get_ticks_usec() - t0
			_emit({"event": "broadcast", "wall": wall, "call_us": call_us, "peers": _peers()})
		"cpu":
			var seconds := words[1].to_float() if words.size() > 1 else 5.0
			task = {"kind": "cpu", "until": Time.get_ticks_usec() + int(seconds * 1e6), "frames": 0,
				"poll_us": 0, "max_poll_us": 0, "cpu0": _cpu_ns(), "wall0": Time.get_ticks_usec(), "calls0": node.calls}
		"calls":
			_emit({"event": "calls", "calls": node.calls, "peers": _peers()})
		"quit":
			_emit({"event": "quit"})
			quitting = true
		_:
			_emit({"event": "error", "error": "unknown command: " + line})


func _task_frame(poll_us: int) -> void:
	if task.kind == "idle":
		task.samples.append(poll_us)
		if task.samples.size() < task.frames:
			return
		var cpu_ns: int = _cpu_ns() - task.cpu0
		var wall_us: int = Time.get_ticks_usec() - task.wall0
		var samples: PackedInt64Array = task.samples
		var sorted := samples.duplicate()
		sorted.sort()
		var middle := sorted.size() >> 1
		var total := 0
		for s in samples:
			total += s
		var peers := _peers()
		var rss := _rss_kib()
		var static_now := OS.get_static_memory_usage()
		_emit({"event": "idle", "frames": samples.size(), "peers": peers,
			"poll_us_mean": float(total) / samples.size(), "poll_us_median": sorted[middle],
			"poll_us_p90": sorted[int(sorted.size() * 0.9)], "poll_us_max": sorted[-1],
			"cpu_us_per_frame": cpu_ns / 1000.0 / samples.size(), "frame_wall_us": float(wall_us) / samples.size(),
			"rss_kib": rss, "rss_delta_kib": rss - rss_before,
			"kib_per_client": float(rss - rss_before) / maxi(1, peers),
			"static_delta": static_now - static_before,
			"static_kib_per_client": (static_now - static_before) / 1024.0 / maxi(1, peers)})
		task = {}
	elif task.kind == "cpu":
		task.frames += 1
		task.poll_us += poll_us
		task.max_poll_us = maxi(task.max_poll_us, poll_us)
		var now := Time.get_ticks_usec()
		if now < task.until:
			return
		var cpu_ns: int = _cpu_ns() - task.cpu0
		var wall_us: int = now - task.wall0
		var calls: int = node.calls - task.calls0
		_emit({"event": "cpu", "frames": task.frames, "seconds": wall_us / 1e6, "fps": task.frames / (wall_us / 1e6),
			"cpu_us_per_frame": cpu_ns / 1000.0 / task.frames, "cpu_share": cpu_ns / 1000.0 / wall_us,
			"poll_us_mean": float(task.poll_us) / task.frames, "poll_us_max": task.max_poll_us,
			"calls": calls, "calls_per_frame": float(calls) / task.frames, "peers": _peers()})
		task = {}


# --- helpers ----------------------------------------------------------------------------------

func _peers() -> int:
	return connected - disconnected


func _emit(data: Dictionary) -> void:
	data["class"] = cls
	# full precision: the broadcast's wall-clock time is compared to the clients' to the microsecond
	print("SCALE ", JSON.stringify(data, "", false, true))


func _fatal(why: String) -> void:
	_emit({"event": "fatal", "error": why})
	quitting = true


func _rss_kib() -> int:
	return ProcessStats.rss_kib()


## CPU time of every thread of the process (ours has a readiness thread), in ns:
## /proc/self/task/*/schedstat, whose first field is nanoseconds on a CPU.
func _cpu_ns() -> int:
	var total := 0
	for tid in DirAccess.get_directories_at("/proc/self/task"):
		var f := FileAccess.open("/proc/self/task/%s/schedstat" % tid, FileAccess.READ)
		if f != null:
			total += f.get_line().get_slice(" ", 0).to_int()
	return total
