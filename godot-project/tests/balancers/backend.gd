# One backend server of the load-balancer tests (tests/balancers/run starts two, A and B):
#   * a RustWebSocketMultiplayerPeer server (create_server) with SceneMultiplayer and the
#     lobby of lobby.gd: a client's hello() is answered with the address and port this
#     server sees for it (get_peer_address / get_peer_port);
#   * RustWebSocketPeer echo servers (TCPServer + accept_stream), one per listener tag
#     (each balancer mode has its own, so that the checks each one sends are counted apart):
#     every text message is answered with one JSON line
#       {"backend": "A", "listener": TAG, "host": get_connected_host(), "port": get_connected_port(), "echo": MESSAGE}
# Everything with trusted_proxies = ["127.0.0.1"] (the balancers connect from there) and
# health_check_path = "/health".
# Environment (from tests/balancers/run):
#   BALANCER_TEST_NAME         A or B
#   BALANCER_TEST_MP_PORT      the multiplayer server's port
#   BALANCER_TEST_ECHO_PORTS   TAG=PORT,TAG=PORT... the echo listeners
#   BALANCER_TEST_STOP_FILE    quit when this file exists (the harness's stop)
#   BALANCER_TEST_BASELINE=1   leave trusted_proxies and health_check_path unset (and run on a
#                              build without them): a measurement of the defaults, not a test
# Prints "pid N" and "ready ..." at the start, then for each echo listener a line
#   counts TAG health=N silent=N refused=N sessions=N logged=N
# whenever a count changes (at most once a second per listener): health = answered as a
# health check (CLOSED, FAILURE_HANDSHAKE, handshake status 200), silent = closed before any
# request (status 0: a balancer's TCP check), refused = any other handshake failure (e.g.
# 400), sessions = WebSocket connections that opened, logged = WARNING/ERROR lines of our
# classes while polling that listener's connections (TAG "mp": the multiplayer server's, of
# which only logged is counted). Every refused connection is also described on a
# "refused ..." line. The harness reads these lines and this process's log
# (WARNING/ERROR lines of our classes).
# Quits by itself after MAX_LIFETIME_S.
extends SceneTree

const Lobby := preload("res://tests/balancers/lobby.gd")
const LogCapture := preload("res://tests/log_capture.gd")

const OPEN := 1
const CLOSED := 3
const MAX_LIFETIME_S := 600.0
const NEW_PROPERTIES := ["trusted_proxies", "health_check_path"]
const TRUSTED := ["127.0.0.1"]
const HEALTH_PATH := "/health"

var backend_name := ""
var baseline := false
var stop_file := ""
var started_ms := 0
var api := SceneMultiplayer.new()
var mp  # RustWebSocketMultiplayerPeer
var lobby: Node
## Echo listeners: tag -> TCPServer.
var listeners := {}
## Open or opening echo connections: [tag, RustWebSocketPeer, opened].
var connections: Array = []
## tag -> {health, silent, refused, sessions, logged}; "mp" for the multiplayer server (logged only)
var counts := {}
## What our classes log, to tell which listener's connection a line was about.
var captured := LogCapture.new()
var _printed := {}
var _last_print_ms := 0


func _initialize() -> void:
	Engine.max_fps = 200  # a poll every 5 ms without spinning a core
	started_ms = Time.get_ticks_msec()
	# After the first frame: the tree's root is inside the tree then.
	_start.call_deferred()


func _start() -> void:
	OS.add_logger(captured)
	var problem := _setup()
	if problem != "":
		print("FAIL setup: ", problem)
		quit(1)


func _setup() -> String:
	if not ClassDB.class_exists("RustWebSocketPeer"):
		return "class RustWebSocketPeer is not registered: the extension did not load"
	backend_name = OS.get_environment("BALANCER_TEST_NAME")
	baseline = OS.get_environment("BALANCER_TEST_BASELINE") == "1"
	stop_file = OS.get_environment("BALANCER_TEST_STOP_FILE")
	var mp_port := int(OS.get_environment("BALANCER_TEST_MP_PORT"))
	if backend_name == "" or mp_port <= 0 or stop_file == "":
		return "BALANCER_TEST_NAME, BALANCER_TEST_MP_PORT and BALANCER_TEST_STOP_FILE must be set: run tests/balancers/run"
	if not baseline:
		for cls in ["RustWebSocketPeer", "RustWebSocketMultiplayerPeer"]:
			var missing := missing_properties(cls)
			if not missing.is_empty():
				return "%s.%s missing (the load-balancer API is not in this build)" % [cls, missing[0]]

	mp = ClassDB.instantiate("RustWebSocketMultiplayerPeer")
	var problem := _configure(mp)
	if problem != "":
		return problem
	var root := Node.new()
	root.name = "Server"
	lobby = Lobby.new()
	lobby.name = "Lobby"
	lobby.backend_name = backend_name
	root.add_child(lobby)
	self.root.add_child(root)
	set_multiplayer(api, root.get_path())
	if mp.create_server(mp_port, "127.0.0.1") != OK:
		return "create_server(%d) failed" % mp_port
	api.multiplayer_peer = mp
	api.peer_connected.connect(func(id): print("mp %s: peer %d joined from %s:%d" % [backend_name, id, mp.get_peer_address(id), mp.get_peer_port(id)]))
	api.peer_disconnected.connect(func(id): print("mp %s: peer %d left" % [backend_name, id]))

	for item in OS.get_environment("BALANCER_TEST_ECHO_PORTS").split(",", false):
		var tag := item.get_slice("=", 0)
		var port := int(item.get_slice("=", 1))
		var tcp := TCPServer.new()
		if port <= 0 or tcp.listen(port, "127.0.0.1") != OK:
			return "cannot listen on the echo port %s" % item
		listeners[tag] = tcp
		counts[tag] = {"health": 0, "silent": 0, "refused": 0, "sessions": 0, "logged": 0}
	if listeners.is_empty():
		return "BALANCER_TEST_ECHO_PORTS is empty"
	counts["mp"] = {"health": 0, "silent": 0, "refused": 0, "sessions": 0, "logged": 0}
	print("pid %d" % OS.get_process_id())
	print("ready %s mp=%d echo=%s%s" % [backend_name, mp_port, OS.get_environment("BALANCER_TEST_ECHO_PORTS"),
			" (baseline: no trusted_proxies, no health_check_path)" if baseline else ""])
	return ""


## The load-balancer properties `cls` lacks.
static func missing_properties(cls: String) -> Array:
	var names := []
	for p in ClassDB.class_get_property_list(cls, true):
		names.append(p["name"])
	return NEW_PROPERTIES.filter(func(name): return not names.has(name))


## Sets the load-balancer properties on `object` (unless baseline) and reads them back.
func _configure(object) -> String:
	if baseline:
		return ""
	object.set("trusted_proxies", PackedStringArray(TRUSTED))
	object.set("health_check_path", HEALTH_PATH)
	if object.get("trusted_proxies") != PackedStringArray(TRUSTED) or object.get("health_check_path") != HEALTH_PATH:
		return "%s: trusted_proxies / health_check_path do not read back what was set" % object.get_class()
	return ""


func _process(_delta: float) -> bool:
	if mp == null or listeners.is_empty():
		return false
	# Lines logged since the last frame outside an echo connection's poll: the multiplayer
	# server's (SceneMultiplayer polls it after this function, each frame).
	counts["mp"]["logged"] += _new_lines("mp")
	if Time.get_ticks_msec() - started_ms > MAX_LIFETIME_S * 1000 or FileAccess.file_exists(stop_file):
		_print_counts(true)
		print("backend %s stopping" % backend_name)
		mp.close()
		return true
	for tag in listeners:
		var tcp: TCPServer = listeners[tag]
		while tcp.is_connection_available():
			var ws = ClassDB.instantiate("RustWebSocketPeer")
			_configure(ws)
			var accepted: Error = ws.accept_stream(tcp.take_connection())
			counts[tag]["logged"] += _new_lines(tag)
			if accepted != OK:
				print("accept_stream failed on ", tag)
				continue
			connections.append([tag, ws, false])
	var still: Array = []
	for entry in connections:
		var ws = entry[1]
		ws.poll()
		counts[entry[0]]["logged"] += _new_lines(entry[0])
		var state: int = ws.get_ready_state()
		if state == OPEN:
			if not entry[2]:
				entry[2] = true
				counts[entry[0]]["sessions"] += 1
			while ws.get_available_packet_count() > 0:
				var message: String = ws.get_packet().get_string_from_utf8()
				ws.send_text(JSON.stringify({"backend": backend_name, "listener": entry[0],
						"host": ws.get_connected_host(), "port": ws.get_connected_port(), "echo": message}))
		if state == CLOSED:
			if not entry[2]:
				_count_failed(entry[0], ws)
		else:
			still.append(entry)
	connections = still
	_print_counts(false)
	return false


## How many lines our classes logged since the last call; each printed as "logged TAG: line".
func _new_lines(tag: String) -> int:
	var lines := captured.lines(LogCapture.ERROR) + captured.lines(LogCapture.WARNING)
	if not lines.is_empty():
		captured.clear()
		for line in lines:
			print("logged %s: %s" % [tag, line])
	return lines.size()


## A connection that closed before it opened: a health check, a TCP check or a refusal.
func _count_failed(tag: String, ws) -> void:
	var status: int = ws.get_handshake_status()
	var kind: int = ws.get_failure_kind()
	if kind == RustWebSocketPeer.FAILURE_HANDSHAKE and status == 200:
		counts[tag]["health"] += 1
	elif status == 0:
		counts[tag]["silent"] += 1
	else:
		counts[tag]["refused"] += 1
		print("refused %s: kind %d, status %d, from %s:%d: %s" % [tag, kind, status, ws.get_connected_host(),
				ws.get_connected_port(), ws.get_failure_reason()])


func _print_counts(force: bool) -> void:
	var now := Time.get_ticks_msec()
	if not force and now - _last_print_ms < 1000:
		return
	_last_print_ms = now
	for tag in counts:
		var c: Dictionary = counts[tag]
		var line := "counts %s health=%d silent=%d refused=%d sessions=%d logged=%d" % [tag, c["health"], c["silent"],
				c["refused"], c["sessions"], c["logged"]]
		if force or _printed.get(tag, "") != line:
			_printed[tag] = line
			print(line)
