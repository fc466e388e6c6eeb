# Godot clients of the load-balancer tests (tests/balancers/run starts the backends, nginx and
# HAProxy, and passes their ports in BALANCER_TEST_* variables):
#   * the multiplayer lobby through each balancer: RustWebSocketMultiplayerPeer clients join
#     (ws:// and wss://, HTTP mode and PROXY v2), call the lobby's hello() RPC and get the
#     address and port the backend saw: 127.0.0.1 (this process) with port 0 through HTTP
#     headers, and this client's own source port through the PROXY protocol;
#   * backend loss: echo clients (RustWebSocketPeer) and multiplayer clients through HAProxy on
#     both backends; this script SIGKILLs backend A (BALANCER_TEST_A_PID); A's echo clients
#     must end CLOSED with FAILURE_CONNECTION_LOST and A's multiplayer client see
#     server_disconnected, all must reconnect through HAProxy and land on B, and B's clients
#     lose nothing (every numbered message echoed in order across the kill).
# Each case prints "PASS name" or "FAIL name: why", "SEEN<TAB>route<TAB>text" lines for the
# harness's matrix, and a final "N passed, M failed" line; quits with 1 when anything failed.
# No case may log an error or a warning from our classes here (the end of an open
# connection is not logged).
extends SceneTree

const Lobby := preload("res://tests/balancers/lobby.gd")
const Polling := preload("res://tests/polling.gd")
const LogCapture := preload("res://tests/log_capture.gd")

const CONNECTING := 0
const OPEN := 1
const CLOSED := 3
const WAIT_S := 10.0
## The echo clients send a numbered message this often.
const SEND_EVERY_MS := 100
const NEW_PROPERTIES := ["trusted_proxies", "health_check_path"]

var passed := 0
var failed := 0
var captured: LogCapture
var port := {}
var ca: X509Certificate
var a_pid := 0
var _why: PackedStringArray = []
var _sides: Array = []
var _side_count := 0


func _initialize() -> void:
	Engine.max_fps = 200
	_run.call_deferred()


func _run() -> void:
	var problem := _setup()
	if problem != "":
		print("FAIL setup: ", problem)
		print("0 passed, 1 failed")
		quit(1)
		return
	captured = LogCapture.new()
	OS.add_logger(captured)
	var tls := TLSOptions.client(ca)
	# [route, URL, TLS options, the port the balancer listens on, whether the port is carried]
	var routes := [
		["lobby-haproxy-ws", "ws://127.0.0.1:%d/mp" % port["HAPROXY_WS"], null, port["HAPROXY_WS"], false],
		["lobby-haproxy-wss", "wss://localhost:%d/mp" % port["HAPROXY_WSS"], tls, port["HAPROXY_WSS"], false],
		["lobby-haproxy-v2", "ws://127.0.0.1:%d/mp" % port["HAPROXY_V2_MP"], null, port["HAPROXY_V2_MP"], true],
		["lobby-nginx-ws", "ws://127.0.0.1:%d/mp" % port["NGINX_WS"], null, port["NGINX_WS"], false],
		["lobby-nginx-wss", "wss://localhost:%d/mp" % port["NGINX_WSS"], tls, port["NGINX_WSS"], false],
	]
	for route in routes:
		await _case("%s: multiplayer lobby, the backend sees 127.0.0.1 and %s" % [route[0],
				"this client's source port" if route[4] else "port 0"],
				func(): await _lobby_case(route[0], route[1], route[2], route[3], route[4]))
	await _case("backend loss through HAProxy: A's clients lost (FAILURE_CONNECTION_LOST, server_disconnected) and rejoin on B, B's lose nothing",
			func(): await _loss_case())
	OS.remove_logger(captured)
	print("%d passed, %d failed" % [passed, failed])
	quit(1 if failed > 0 else 0)


func _setup() -> String:
	if not ClassDB.class_exists("RustWebSocketPeer"):
		return "class RustWebSocketPeer is not registered: the extension did not load"
	if OS.get_environment("BALANCER_TEST_BASELINE") != "1":
		for cls in ["RustWebSocketPeer", "RustWebSocketMultiplayerPeer"]:
			var names := []
			for p in ClassDB.class_get_property_list(cls, true):
				names.append(p["name"])
			for property in NEW_PROPERTIES:
				if not names.has(property):
					return "%s.%s missing (the load-balancer API is not in this build)" % [cls, property]
	for name in ["HAPROXY_WS", "HAPROXY_WSS", "HAPROXY_V2_MP", "NGINX_WS", "NGINX_WSS"]:
		port[name] = int(OS.get_environment("BALANCER_TEST_" + name))
		if port[name] <= 0:
			return "BALANCER_TEST_%s is not set: run tests/balancers/run" % name
	a_pid = int(OS.get_environment("BALANCER_TEST_A_PID"))
	if a_pid <= 0:
		return "BALANCER_TEST_A_PID is not set: run tests/balancers/run"
	ca = X509Certificate.new()
	if ca.load(OS.get_environment("BALANCER_TEST_CA")) != OK:
		return "cannot load the test CA from BALANCER_TEST_CA"
	return ""


# --- running a case -------------------------------------------------------------------------------

func _case(name: String, body: Callable) -> void:
	_why = PackedStringArray()
	captured.clear()
	await body.call()
	await _frames(5)
	var lines := captured.lines(LogCapture.ERROR) + captured.lines(LogCapture.WARNING)
	_check(lines.is_empty(), "no error or warning line from our classes, got: %s" % " / ".join(lines))
	for side in _sides:
		side.free_all(self)
	_sides.clear()
	if _why.is_empty():
		passed += 1
		print("PASS ", name)
	else:
		failed += 1
		print("FAIL %s: %s" % [name, "; ".join(_why)])


func _check(condition: bool, what: String) -> bool:
	if not condition:
		_why.append(what)
	return condition


func _seen(route: String, text: String) -> void:
	print("SEEN\t%s\t%s" % [route, text])


func _frames(count: int) -> void:
	for i in count:
		await process_frame


func _wait(peers: Array, condition: Callable, timeout_s := WAIT_S) -> bool:
	return await Polling.until(self, peers, condition, timeout_s)


# --- multiplayer sides ----------------------------------------------------------------------------------

## One multiplayer client: its own SceneMultiplayer on its own branch (/root/<name>/Lobby),
## the signals it saw and the lobby's answers.
class MpClient:
	extends RefCounted
	var name: String
	var root: Node
	var lobby: Node
	var api := SceneMultiplayer.new()
	var peer
	var events: Array = []
	var welcomes: Array = []

	func _init(tree: SceneTree, side_name: String, lobby_script: Script) -> void:
		name = side_name
		peer = ClassDB.instantiate("RustWebSocketMultiplayerPeer")
		root = Node.new()
		root.name = side_name
		lobby = lobby_script.new()
		lobby.name = "Lobby"
		root.add_child(lobby)
		tree.root.add_child(root)
		tree.set_multiplayer(api, root.get_path())
		api.connected_to_server.connect(func(): events.append("connected_to_server"))
		api.connection_failed.connect(func(): events.append("connection_failed"))
		api.server_disconnected.connect(func(): events.append("server_disconnected"))
		lobby.welcomed.connect(func(backend, address, port, text): welcomes.append([backend, address, port, text]))

	func connect_to(url: String, tls) -> Error:
		var err: Error = peer.create_client(url, tls)
		if err == OK:
			api.multiplayer_peer = peer
		return err

	func connected() -> bool:
		return events.has("connected_to_server")

	func free_all(tree: SceneTree) -> void:
		if peer != null:
			peer.close()
		for sig in ["connected_to_server", "connection_failed", "server_disconnected"]:
			for connection in api.get_signal_connection_list(sig):
				api.disconnect(sig, connection["callable"])
		for connection in lobby.get_signal_connection_list("welcomed"):
			lobby.disconnect("welcomed", connection["callable"])
		api.multiplayer_peer = null
		tree.set_multiplayer(null, root.get_path())
		root.queue_free()
		peer = null


func _side() -> MpClient:
	_side_count += 1
	var side := MpClient.new(self, "Client%d" % _side_count, Lobby)
	_sides.append(side)
	return side


## Connects a new side to `url` and waits until it joined; null (and a reason) if it did not.
func _join(url: String, tls) -> MpClient:
	var side := _side()
	if not _check(side.connect_to(url, tls) == OK, "create_client(%s)" % url):
		return null
	if not await _wait([], func(): return side.connected() or side.events.has("connection_failed")):
		_check(false, "%s: not connected after %d s" % [url, WAIT_S])
		return null
	if not _check(side.connected(), "%s: %s" % [url, side.events]):
		return null
	return side


## Calls the lobby's hello() and waits for the answer: [backend, address, port, text] or [].
func _hello(side: MpClient, text: String) -> Array:
	var before := side.welcomes.size()
	side.lobby.hello.rpc_id(1, text)
	if not await _wait([], func(): return side.welcomes.size() > before):
		_check(false, "%s: no answer to hello(%s)" % [side.name, text])
		return []
	var answer: Array = side.welcomes[-1]
	_check(answer[3] == text, "%s: the answer is for %s, not %s" % [side.name, answer[3], text])
	return answer


## The local ports of this machine's established TCP connections to 127.0.0.1:`remote_port`
## (/proc/net/tcp): during a lobby case through a balancer port, this process's clients.
func _local_ports_to(remote_port: int) -> Array:
	var ports := []
	var file := FileAccess.open("/proc/net/tcp", FileAccess.READ)
	if file == null:
		return ports
	file.get_line()
	while not file.eof_reached():
		var cols := file.get_line().strip_edges().split(" ", false)
		if cols.size() < 4:
			continue
		var local := cols[1].split(":")
		var remote := cols[2].split(":")
		if remote[0] == "0100007F" and remote[1].hex_to_int() == remote_port and cols[3] == "01":
			ports.append(local[1].hex_to_int())
	return ports


# --- the cases ---------------------------------------------------------------------------------------------

## Two clients join through the balancer, one after the other (round robin: one per backend),
## and ask the lobby: it must answer with 127.0.0.1 and port 0 (HTTP headers carry no port), or
## with the client's own source port (`carried`: the PROXY protocol).
func _lobby_case(route: String, url: String, tls, balancer_port: int, carried: bool) -> void:
	var shown := []
	for i in 2:
		var side := await _join(url, tls)
		if side == null:
			break
		var answer := await _hello(side, "%s client %d" % [route, i + 1])
		if answer.is_empty():
			break
		shown.append("%s:%d (%s)" % [answer[1], answer[2], answer[0]])
		_check(answer[0] in ["A", "B"], "answered by %s" % answer[0])
		_check(answer[1] == "127.0.0.1", "%s: the backend saw address %s, expected 127.0.0.1" % [side.name, answer[1]])
		if carried:
			var mine := _local_ports_to(balancer_port)
			_check(answer[2] in mine, "%s: the backend saw port %d, not one of this process's source ports to the balancer %s"
					% [side.name, answer[2], mine])
		else:
			_check(answer[2] == 0, "%s: the backend saw port %d, expected 0 (X-Forwarded-For/Forwarded carry none)" % [side.name, answer[2]])
	_seen(route, ", ".join(shown) if not shown.is_empty() else "(nothing)")


## An echo client of the loss case: a RustWebSocketPeer and its numbered messages.
class EchoClient:
	extends RefCounted
	var name: String
	var ws
	var backend := ""
	var next_send := 1
	var next_expected := 1
	var last_send_ms := 0
	var problems: Array = []
	var received := 0
	var received_after_kill := 0
	var received_since_reconnect := 0
	var kill_ms := 0
	var closed_after_ms := -1

	func _init(client_name: String) -> void:
		name = client_name
		ws = ClassDB.instantiate("RustWebSocketPeer")

	func poll() -> void:
		ws.poll()
		while ws.get_available_packet_count() > 0:
			var text: String = ws.get_packet().get_string_from_utf8()
			var answer = JSON.parse_string(text)
			if not answer is Dictionary:
				problems.append("not JSON: %s" % text)
				continue
			if backend == "":
				backend = answer["backend"]
			elif answer["backend"] != backend:
				problems.append("answer from %s while connected to %s" % [answer["backend"], backend])
			var expected := "%s %d" % [name, next_expected]
			if answer["echo"] != expected:
				problems.append("expected echo %s, got %s" % [expected, answer["echo"]])
			next_expected += 1
			received += 1
			if kill_ms > 0:
				received_after_kill += 1
			received_since_reconnect += 1
		if ws.get_ready_state() == OPEN and Time.get_ticks_msec() - last_send_ms >= SEND_EVERY_MS \
				and next_send - next_expected < 5:
			ws.send_text("%s %d" % [name, next_send])
			next_send += 1
			last_send_ms = Time.get_ticks_msec()
		if kill_ms > 0 and closed_after_ms < 0 and ws.get_ready_state() == CLOSED:
			closed_after_ms = Time.get_ticks_msec() - kill_ms

	## A new connection (after a loss): the numbering goes on, the backend is learnt anew.
	func reconnect(url: String) -> Error:
		backend = ""
		next_expected = next_send
		received_since_reconnect = 0
		return ws.connect_to_url(url)


func _loss_case() -> void:
	var echo_url := "ws://127.0.0.1:%d/echo" % port["HAPROXY_WS"]
	var mp_url := "ws://127.0.0.1:%d/mp" % port["HAPROXY_WS"]
	# Four echo clients, one after the other: HAProxy's round robin alternates A and B.
	var clients: Array = []
	for i in 4:
		var client := EchoClient.new("g%d" % (i + 1))
		clients.append(client)
		if not _check(client.ws.connect_to_url(echo_url) == OK, "connect_to_url(%s)" % echo_url):
			return
		if not await _wait([client], func(): return client.backend != "" or client.ws.get_ready_state() == CLOSED):
			_check(false, "%s: no echo within %d s" % [client.name, WAIT_S])
			return
		if not _check(client.backend != "", "%s: closed before its first echo: %s" % [client.name, client.ws.get_failure_reason()]):
			return
	var on_a := clients.filter(func(c): return c.backend == "A")
	var on_b := clients.filter(func(c): return c.backend == "B")
	if not _check(not on_a.is_empty() and not on_b.is_empty(), "the echo clients are not spread over A and B: %s" % [clients.map(func(c): return c.backend)]):
		return
	# Two multiplayer clients likewise.
	var sides: Array = []
	for i in 2:
		var side := await _join(mp_url, null)
		if side == null:
			return
		var answer := await _hello(side, "before the kill %d" % i)
		if answer.is_empty():
			return
		side.set_meta("backend", answer[0])
		sides.append(side)
	var side_a: Array = sides.filter(func(s): return s.get_meta("backend") == "A")
	var side_b: Array = sides.filter(func(s): return s.get_meta("backend") == "B")
	if not _check(side_a.size() == 1 and side_b.size() == 1, "the multiplayer clients are not one on A and one on B: %s"
			% [sides.map(func(s): return s.get_meta("backend"))]):
		return

	# Exchange for a second, then kill A.
	await _wait(clients, func(): return false, 1.0)
	var before := clients.map(func(c): return c.received)
	_check(before.all(func(n): return n >= 5), "messages echoed before the kill: %s" % [before])
	if not _check(OS.kill(a_pid) == OK, "OS.kill(%d) (backend A)" % a_pid):
		return
	var kill_ms := Time.get_ticks_msec()
	for c in clients:
		c.kill_ms = kill_ms
	# A's clients must see the loss; B's go on. At least 3 s after the kill, at most WAIT_S.
	await _wait(clients, func():
		return Time.get_ticks_msec() - kill_ms > 3000 and on_a.all(func(c): return c.ws.get_ready_state() == CLOSED) \
				and side_a[0].events.has("server_disconnected"))
	var lost := []
	for c in on_a:
		var state: int = c.ws.get_ready_state()
		_check(state == CLOSED, "%s (on A): state %d after the kill, expected CLOSED" % [c.name, state])
		_check(c.ws.get_failure_kind() == RustWebSocketPeer.FAILURE_CONNECTION_LOST,
				"%s (on A): failure kind %d, expected FAILURE_CONNECTION_LOST (%d): %s" % [c.name, c.ws.get_failure_kind(),
				RustWebSocketPeer.FAILURE_CONNECTION_LOST, c.ws.get_failure_reason()])
		lost.append("%s %.2f s" % [c.name, c.closed_after_ms / 1000.0])
	var kinds_on_a := _kind_names(on_a)
	_check(side_a[0].events.has("server_disconnected"), "the multiplayer client on A: no server_disconnected (events %s)" % [side_a[0].events])
	for c in on_b:
		_check(c.ws.get_ready_state() == OPEN, "%s (on B): state %d after the kill, expected OPEN" % [c.name, c.ws.get_ready_state()])
		_check(c.problems.is_empty(), "%s (on B): %s" % [c.name, c.problems.slice(0, 3)])
		_check(c.received_after_kill >= 20, "%s (on B): only %d messages echoed in the 3 s after the kill" % [c.name, c.received_after_kill])
	_check(not side_b[0].events.has("server_disconnected"), "the multiplayer client on B was disconnected")
	var again := await _hello(side_b[0], "after the kill")
	_check(again.is_empty() or again[0] == "B", "the multiplayer client on B: answered by %s after the kill" % [again])

	# A's clients come back through the balancer, onto B.
	for c in on_a:
		c.problems.clear()
		if not _check(c.reconnect(echo_url) == OK, "%s: connect_to_url again" % c.name):
			return
	await _wait(clients, func(): return on_a.all(func(c): return c.received_since_reconnect >= 5 or c.ws.get_ready_state() == CLOSED))
	for c in on_a:
		_check(c.ws.get_ready_state() == OPEN and c.backend == "B", "%s: after reconnecting: state %d, backend %s: %s"
				% [c.name, c.ws.get_ready_state(), c.backend, c.ws.get_failure_reason()])
		_check(c.problems.is_empty(), "%s after reconnecting: %s" % [c.name, c.problems.slice(0, 3)])
	for c in on_b:
		_check(c.ws.get_ready_state() == OPEN and c.problems.is_empty(), "%s (on B) at the end: state %d, %s"
				% [c.name, c.ws.get_ready_state(), c.problems.slice(0, 3)])
	var rejoined := await _join(mp_url, null)
	var answer := [] if rejoined == null else await _hello(rejoined, "rejoined")
	_check(not answer.is_empty() and answer[0] == "B", "the multiplayer client of A rejoined: answered by %s" % [answer])

	_seen("loss-godot-echo", "A killed: %d echo clients on A CLOSED %s (%s), reconnected onto %s; %d on B: %s messages after the kill, %s"
			% [on_a.size(), kinds_on_a, ", ".join(lost), "+".join(on_a.map(func(c): return c.backend)),
			on_b.size(), "+".join(on_b.map(func(c): return str(c.received_after_kill))),
			"none lost" if on_b.all(func(c): return c.problems.is_empty()) else "LOST SOME"])
	_seen("loss-godot-mp", "client on A: %s, rejoined on %s; client on B: %s"
			% ["server_disconnected" if side_a[0].events.has("server_disconnected") else "no signal",
			answer[0] if not answer.is_empty() else "-",
			"kept, hello answered by " + (again[0] if not again.is_empty() else "-")])
	for c in clients:
		c.ws.close()
	await _wait(clients, func(): return clients.all(func(c): return c.ws.get_ready_state() == CLOSED), 2.0)


func _kind_names(list: Array) -> String:
	var names := {}
	for c in list:
		var kind: int = c.ws.get_failure_kind()
		for name in ClassDB.class_get_enum_constants("RustWebSocketPeer", "FailureKind"):
			if ClassDB.class_get_integer_constant("RustWebSocketPeer", name) == kind:
				names[name] = true
	return "/".join(names.keys())
