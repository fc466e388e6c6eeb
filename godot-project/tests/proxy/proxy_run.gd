# HTTP(S) CONNECT proxies through the real engine: proxy_url and proxy_from_environment of
# RustWebSocketPeer and RustWebSocketMultiplayerPeer against the tinyproxy and stunnel
# instances that tests/proxy/run starts (their ports come in PROXY_TEST_* variables).
#   tests/proxy/run     (not run by tests/run_tests.gd: it needs those proxies)
# Each case prints "PASS name" or "FAIL name: why"; then a proxy matrix (case | expected |
# seen) and a final "N passed, M failed" line; quits with 1 when anything failed.
# Every case also holds the logging rules: no error line from our classes, exactly the
# expected number of warning lines (one per failed attempt, none for a connection that
# opens), and no password in any line or failure reason. This script never prints a password.
extends SceneTree

const LogCapture := preload("res://tests/log_capture.gd")
const Polling := preload("res://tests/polling.gd")

const CONNECTING := 0
const OPEN := 1
const CLOSING := 2
const CLOSED := 3
# Declared here rather than read from the class, so that this script parses without the
# proxy API; the start checks the class has it with this value.
const FAILURE_PROXY := 9
const FAILURE_NAMES := ["NONE", "DNS", "CONNECT", "TLS", "HANDSHAKE", "PROTOCOL", "TIMEOUT",
		"CONNECTION_LOST", "LIMIT", "PROXY"]
const STATUS_NAMES := ["DISCONNECTED", "CONNECTING", "CONNECTED"]
## How long one connection may take to open or fail (everything is on loopback).
const WAIT_S := 10.0
const ENV_NAMES := ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
		"no_proxy", "NO_PROXY"]
const BUNDLE_SETTING := "network/tls/certificate_bundle_override"

var passed := 0
var failed := 0
## [case, expected, seen] rows for the matrix.
var matrix: Array = []
var captured: LogCapture
## Ports by role: a, b, c, tls, down, nothttp, echo_ws, echo_wss.
var port := {}
var ca: X509Certificate
var ca_path := ""
var user := ""
var password := ""

# The case running now: what went wrong, what was seen, what to close afterwards.
var _why: PackedStringArray = []
var _seen := ""
var _owned: Array = []


func _initialize() -> void:
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
	_clear_proxy_environment()
	var a := _proxy("http", "a")
	var b := _proxy("http", "b")
	var ws_echo := "ws://127.0.0.1:%d" % port["echo_ws"]
	var wss_echo := "wss://localhost:%d" % port["echo_wss"]

	# --- plain http:// proxy, open -------------------------------------------------------------
	await _case("ws, Godot server, via A", "OPEN via A, echoed both ways", func():
		await _godot_server_case(func(c): c.proxy_url = a, "ws://127.0.0.1:%d/via-a", port["a"]))
	await _case("multiplayer create_client via A", "connected via A, packets both ways", func():
		await _multiplayer_case(func(c): c.proxy_url = a, port["a"]))
	await _case("ws, Python websockets, via A", "OPEN via A, echoed", func():
		await _echo_case(a, ws_echo + "/ws-via-a", null, port["a"]))
	await _case("wss, Python websockets, via A, client(test CA)", "OPEN via A, echoed", func():
		await _echo_case(a, wss_echo + "/wss-via-a", TLSOptions.client(ca), port["a"]))
	# TLS is end to end with the target: the proxy does not make an untrusted target trusted.
	await _case("wss via A, default trust (target untrusted)", "CLOSED, FAILURE_TLS", func():
		await _failure_case(a, wss_echo + "/wss-untrusted", null, RustWebSocketPeer.FAILURE_TLS, 0, ""), 1)
	# tinyproxy answers 500 when it cannot reach the target.
	await _case("via A, target port closed", "CLOSED, FAILURE_PROXY 500", func():
		await _failure_case(a, "ws://127.0.0.1:%d/target-down" % port["down"], null, FAILURE_PROXY, 500, "500"), 1)

	# --- Basic auth (B) --------------------------------------------------------------------------
	await _case("Basic auth accepted (B)", "OPEN via B, echoed", func():
		await _echo_case(_proxy("http", "b", user + ":" + password), ws_echo + "/auth-ok", null, port["b"]))
	await _case("Basic auth missing (B)", "CLOSED, FAILURE_PROXY 407", func():
		await _failure_case(b, ws_echo + "/auth-missing", null, FAILURE_PROXY, 407, "407"), 1)
	# tinyproxy 1.11 answers wrong credentials with 401 (missing ones with 407).
	await _case("Basic auth wrong password (B)", "CLOSED, FAILURE_PROXY 401 or 407", func():
		await _failure_case(_proxy("http", "b", user + ":wrong" + password), ws_echo + "/auth-wrong",
				null, FAILURE_PROXY, [401, 407], ""), 1)

	# --- refusals and broken proxies ---------------------------------------------------------------
	await _case("CONNECT refused by rule (C: port 443 only)", "CLOSED, FAILURE_PROXY 403", func():
		await _failure_case(_proxy("http", "c"), ws_echo + "/refused", null, FAILURE_PROXY, 403, "403"), 1)
	await _case("proxy down (nothing listens)", "CLOSED, FAILURE_PROXY, reason names the proxy", func():
		await _failure_case(_proxy("http", "down"), ws_echo + "/proxy-down", null, FAILURE_PROXY, 0, "proxy"), 1)
	await _case("proxy is not HTTP (SSH banner)", "CLOSED, FAILURE_PROXY", func():
		await _failure_case(_proxy("http", "nothttp"), ws_echo + "/not-http", null, FAILURE_PROXY, 0, "proxy"), 1)

	# --- https:// proxy (stunnel in front of A) ------------------------------------------------------
	var https := _proxy("https", "tls")
	await _case("https proxy, untrusted (no bundle override)", "CLOSED, FAILURE_PROXY", func():
		await _failure_case(https, ws_echo + "/https-untrusted", null, FAILURE_PROXY, 0, "proxy"), 1)
	ProjectSettings.set_setting(BUNDLE_SETTING, ca_path)
	await _case("https proxy (bundle override = test CA), ws target", "OPEN via TLS proxy, echoed", func():
		await _echo_case(https, ws_echo + "/https-ws", null, port["tls"]))
	await _case("https proxy (bundle override = test CA), wss target, client(test CA)", "OPEN via TLS proxy, echoed", func():
		await _echo_case(https, "wss://127.0.0.1:%d/https-wss" % port["echo_wss"], TLSOptions.client(ca), port["tls"]))
	await _case("https proxy, Godot server", "OPEN via TLS proxy, echoed both ways", func():
		await _godot_server_case(func(c): c.proxy_url = https, "ws://127.0.0.1:%d/https-godot", port["tls"]))
	ProjectSettings.set_setting(BUNDLE_SETTING, "")

	# --- from the environment ------------------------------------------------------------------------
	var down := _proxy("http", "down")
	await _env_case("env http_proxy=A", {"http_proxy": a}, true, "", ws_echo + "/env", null, "a")
	await _env_case("env no_proxy=127.0.0.1", {"http_proxy": a, "no_proxy": "127.0.0.1"}, true, "", ws_echo + "/env-np-ip", null, "")
	await _env_case("env no_proxy CIDR 127.0.0.0/8", {"http_proxy": a, "no_proxy": "10.0.0.0/8, 127.0.0.0/8"}, true, "", ws_echo + "/env-np-cidr", null, "")
	await _env_case("env NO_PROXY=* (uppercase)", {"http_proxy": a, "NO_PROXY": "*"}, true, "", ws_echo + "/env-np-star", null, "")
	await _env_case("env no_proxy=.localhost, ws://localhost", {"http_proxy": a, "no_proxy": "example.com,.localhost"}, true, "",
			"ws://localhost:%d/env-np-name" % port["echo_ws"], null, "")
	# A name matches whole labels only: "host" is no suffix of "localhost" in that sense.
	await _env_case("env no_proxy=host does not cover localhost", {"http_proxy": a, "no_proxy": "host,127.0.0.2"}, true, "",
			"ws://localhost:%d/env-np-label" % port["echo_ws"], null, "a")
	await _env_case("proxy_from_environment=false ignores http_proxy", {"http_proxy": down}, false, "", ws_echo + "/env-off", null, "")
	await _env_case("env HTTP_PROXY (uppercase) ignored for ws", {"HTTP_PROXY": down}, true, "", ws_echo + "/env-upper", null, "")
	await _env_case("env https_proxy=A for wss", {"https_proxy": a, "http_proxy": down}, true, "", wss_echo + "/env-https",
			TLSOptions.client(ca), "a")
	await _env_case("env HTTPS_PROXY=A (uppercase) for wss", {"HTTPS_PROXY": a}, true, "", wss_echo + "/env-HTTPS",
			TLSOptions.client(ca), "a")
	await _env_case("env https_proxy not used for ws", {"https_proxy": down}, true, "", ws_echo + "/env-https-ws", null, "")
	await _env_case("env all_proxy=A for ws", {"all_proxy": a}, true, "", ws_echo + "/env-all", null, "a")
	await _env_case("env ALL_PROXY=A for wss", {"ALL_PROXY": a}, true, "", wss_echo + "/env-ALL", TLSOptions.client(ca), "a")
	await _env_case("proxy_url wins over the environment", {"http_proxy": down}, true, a, ws_echo + "/env-url", null, "a")
	_clear_proxy_environment()
	OS.set_environment("http_proxy", a)
	await _case("multiplayer proxy_from_environment, http_proxy=A", "connected via A, packets both ways", func():
		await _multiplayer_case(func(c): c.proxy_from_environment = true, port["a"]))
	OS.set_environment("no_proxy", "127.0.0.1")
	await _case("multiplayer, no_proxy=127.0.0.1", "connected direct, packets both ways", func():
		await _multiplayer_case(func(c): c.proxy_from_environment = true, 0))
	_clear_proxy_environment()
	await _case("multiplayer via C (refused)", "client disconnected, server saw no peer", func():
		await _multiplayer_refused_case(func(c): c.proxy_url = _proxy("http", "c")), 1)

	OS.remove_logger(captured)
	_print_matrix()
	print("%d passed, %d failed" % [passed, failed])
	quit(1 if failed > 0 else 0)


## Reads the environment and checks the classes have the proxy API; returns what is wrong.
func _setup() -> String:
	if not ClassDB.class_exists("RustWebSocketPeer"):
		return "class RustWebSocketPeer is not registered: the extension did not load"
	for cls in ["RustWebSocketPeer", "RustWebSocketMultiplayerPeer"]:
		var names := []
		for p in ClassDB.class_get_property_list(cls, true):
			names.append(p["name"])
		for property in ["proxy_url", "proxy_from_environment"]:
			if not names.has(property):
				return "%s has no property %s (the proxy API is not in this build)" % [cls, property]
	if not ClassDB.class_has_integer_constant("RustWebSocketPeer", "FAILURE_PROXY") \
			or ClassDB.class_get_integer_constant("RustWebSocketPeer", "FAILURE_PROXY") != FAILURE_PROXY:
		return "RustWebSocketPeer.FAILURE_PROXY is missing or not %d" % FAILURE_PROXY
	for role in ["a", "b", "c", "tls", "down", "nothttp", "echo_ws", "echo_wss"]:
		port[role] = int(OS.get_environment("PROXY_TEST_%s_PORT" % role.to_upper()))
		if port[role] <= 0:
			return "PROXY_TEST_%s_PORT is not set: run tests/proxy/run" % role.to_upper()
	user = OS.get_environment("PROXY_TEST_USER")
	password = OS.get_environment("PROXY_TEST_PASSWORD")
	ca_path = OS.get_environment("PROXY_TEST_CA")
	if user == "" or password == "" or ca_path == "":
		return "PROXY_TEST_USER, PROXY_TEST_PASSWORD and PROXY_TEST_CA must be set: run tests/proxy/run"
	ca = X509Certificate.new()
	if ca.load(ca_path) != OK:
		return "cannot load the test CA " + ca_path
	return ""


## The URL of the proxy with `role`, with `credentials` ("user:password") when given.
func _proxy(scheme: String, role: String, credentials := "") -> String:
	return "%s://%s127.0.0.1:%d" % [scheme, (credentials + "@") if credentials != "" else "", port[role]]


func _clear_proxy_environment() -> void:
	for name in ENV_NAMES:
		OS.unset_environment(name)


# --- running a case ---------------------------------------------------------------------------------

## Runs `body`, then checks the logging rules (`warnings` lines expected), closes what the
## case opened, prints PASS/FAIL and adds the matrix row.
func _case(name: String, expected: String, body: Callable, warnings := 0) -> void:
	_why = PackedStringArray()
	_seen = ""
	captured.clear()
	await body.call()
	# A warning is printed when a poll sees the failure: give late ones a few frames.
	await _poll_frames(_owned.filter(func(o): return o.has_method("poll")), 5)
	var errors := captured.lines(LogCapture.ERROR)
	var warned := captured.lines(LogCapture.WARNING)
	_check(errors.is_empty(), "no error line from our classes, got: %s" % _hide(" / ".join(errors)))
	_check(warned.size() == warnings, "%d warning line(s) expected, got %d: %s" % [warnings, warned.size(), _hide(" / ".join(warned))])
	for line in errors + warned:
		_check(not _leaks(line), "a log line holds the password")
	await _close_owned()
	if _why.is_empty():
		passed += 1
		print("PASS ", name)
	else:
		failed += 1
		print("FAIL %s: %s" % [name, "; ".join(_why)])
	matrix.append([name, expected, _seen if _seen != "" else "(nothing)"])


## A ws/wss client through the environment's proxy (proxy_from_environment = `from_env`,
## proxy_url = `url_setting`): open to the Python echo server via proxy `role`, or directly
## when `role` is "".
func _env_case(name: String, variables: Dictionary, from_env: bool, url_setting: String, url: String, tls, role: String) -> void:
	_clear_proxy_environment()
	for key in variables:
		OS.set_environment(key, variables[key])
	var shown := PackedStringArray()
	for key in variables:
		shown.append("%s=%s" % [key, _role_of(variables[key])])
	var expected := ("OPEN via %s" % role.to_upper()) if role != "" else "OPEN direct"
	expected += " (%s%s%s)" % [", ".join(shown), "" if from_env else ", proxy_from_environment off",
			(", proxy_url " + _role_of(url_setting)) if url_setting != "" else ""]
	await _case(name, expected, func():
		var client = _own(RustWebSocketPeer.new())
		client.proxy_from_environment = from_env
		client.proxy_url = url_setting
		var target: int = port["echo_wss"] if url.begins_with("wss") else port["echo_ws"]
		if await _open(client, url, tls, [], port[role] if role != "" else target):
			await _echo(client))
	_clear_proxy_environment()


func _check(condition: bool, what: String) -> bool:
	if not condition:
		_why.append(what)
	return condition


func _own(object):
	_owned.append(object)
	return object


func _wait(peers: Array, condition: Callable, timeout_s := WAIT_S) -> bool:
	return await Polling.until(self, peers, condition, timeout_s)


func _poll_frames(peers: Array, frames: int) -> void:
	for i in frames:
		for p in peers:
			p.poll()
		await process_frame


## Closes every peer and server of the case, politely, and forgets them.
func _close_owned() -> void:
	for object in _owned:
		if object is TCPServer:
			object.stop()
		elif object is MultiplayerPeer:
			object.close()
		elif object.get_ready_state() == OPEN or object.get_ready_state() == CONNECTING:
			object.close(1000, "case done")
	var peers := _owned.filter(func(o): return not (o is TCPServer) and not (o is MultiplayerPeer))
	await _wait(peers, func(): return peers.all(func(p): return p.get_ready_state() == CLOSED), 2.0)
	_owned.clear()


# --- what a case checks ----------------------------------------------------------------------------

## Connects `client` to `url`, polls (with `also`) until it opens or fails; checks it opened
## and that its TCP peer is 127.0.0.1:`via` (the proxy's port when proxied). Whether it opened.
func _open(client, url: String, tls, also: Array, via: int) -> bool:
	if not _check(client.connect_to_url(url, tls) == OK, "connect_to_url(%s) failed" % url):
		return false
	await _wait([client] + also, func(): return client.get_ready_state() != CONNECTING)
	var state: int = client.get_ready_state()
	if state != OPEN:
		_seen = _describe_failure(client)
		_check(false, "expected OPEN, got state %d: %s" % [state, _seen])
		return false
	var host: String = client.get_connected_host()
	var connected: int = client.get_connected_port()
	_seen = "OPEN %s" % _port_label(connected)
	_check(host == "127.0.0.1", "connected host: expected 127.0.0.1, got %s" % host)
	_check(connected == via, "connected port: expected %s, got %s" % [_port_label(via), _port_label(connected)])
	return true


## Text and binary to the echo server; both come back with their types.
func _echo(client) -> void:
	client.send_text("text through the tunnel")
	client.put_packet(PackedByteArray([0, 1, 2, 253, 254, 255]))
	var got := []
	await _wait([client], func():
		while client.get_available_packet_count() > 0:
			var bytes: PackedByteArray = client.get_packet()
			got.append([bytes.get_string_from_utf8() if client.was_string_packet() else bytes, client.was_string_packet()])
		return got.size() >= 2)
	if _check(got == [["text through the tunnel", true], [PackedByteArray([0, 1, 2, 253, 254, 255]), false]],
			"echo: expected the text and the bytes back with their types, got %s" % var_to_str(got)):
		_seen += ", echoed"


## Opens a client with `proxy` to the echo server at `url` and echoes through it.
func _echo_case(proxy: String, url: String, tls, via: int) -> void:
	var client = _own(RustWebSocketPeer.new())
	client.proxy_url = proxy
	if await _open(client, url, tls, [], via):
		await _echo(client)


## A client with `proxy` must fail to reach `url` with `kind`, `status` (an int, or an Array of
## acceptable ones) from get_handshake_status(), and a reason containing `reason_has` (lower
## case) and the status when there is one.
func _failure_case(proxy: String, url: String, tls, kind: int, status, reason_has: String) -> void:
	var client = _own(RustWebSocketPeer.new())
	client.proxy_url = proxy
	if not _check(client.connect_to_url(url, tls) == OK, "connect_to_url failed at once"):
		return
	await _wait([client], func(): return client.get_ready_state() == CLOSED)
	_seen = _describe_failure(client)
	if not _check(client.get_ready_state() == CLOSED, "expected CLOSED within %d s, state %d" % [WAIT_S, client.get_ready_state()]):
		return
	_check(client.get_failure_kind() == kind, "failure kind: expected %s, got %s" % [_kind_name(kind), _kind_name(client.get_failure_kind())])
	var statuses: Array = status if status is Array else [status]
	_check(statuses.has(client.get_handshake_status()), "handshake status: expected %s, got %d" % [statuses, client.get_handshake_status()])
	var reason: String = client.get_failure_reason()
	if reason_has != "":
		_check(reason.to_lower().contains(reason_has), "the reason should mention \"%s\": %s" % [reason_has, _hide(reason)])
	if client.get_handshake_status() != 0:
		var code := str(client.get_handshake_status())
		_check(reason.contains(code), "the reason should give the proxy's status %s: %s" % [code, _hide(reason)])
	_check(not _leaks(reason), "the failure reason holds the password")
	_check(client.get_close_code() == -1, "close code: expected -1, got %d" % client.get_close_code())


## A RustWebSocketPeer server in this process (TCPServer + accept_stream); `setup` prepares the
## client, which connects to `url_format % server port`, then text and bytes go both ways.
func _godot_server_case(setup: Callable, url_format: String, via: int) -> void:
	var tcp: TCPServer = _own(TCPServer.new())
	if not _check(tcp.listen(0, "127.0.0.1") == OK, "listen"):
		return
	var server = _own(RustWebSocketPeer.new())
	var accepter := func():
		if tcp.is_connection_available():
			_check(server.accept_stream(tcp.take_connection()) == OK, "accept_stream")
		server.poll()
	var client = _own(RustWebSocketPeer.new())
	setup.call(client)
	var both := [client, _Poller.new(accepter)]
	if not await _open(client, url_format % tcp.get_local_port(), null, [both[1]], via):
		return
	if not await _wait(both, func(): return server.get_ready_state() == OPEN):
		_check(false, "the server side did not open")
		return
	client.send_text("client to server")
	server.put_packet(PackedByteArray([9, 8, 7]))
	var ok := await _wait(both, func(): return client.get_available_packet_count() > 0 and server.get_available_packet_count() > 0)
	if _check(ok, "a message each way"):
		var to_server: PackedByteArray = server.get_packet()
		_check(to_server.get_string_from_utf8() == "client to server" and server.was_string_packet(), "server received the text")
		_check(client.get_packet() == PackedByteArray([9, 8, 7]) and not client.was_string_packet(), "client received the bytes")
		_seen += ", echoed both ways"


## Something with poll() that calls a Callable (to poll a server with its accept step).
class _Poller:
	var _callable: Callable

	func _init(callable: Callable) -> void:
		_callable = callable

	func poll() -> void:
		_callable.call()


## A RustWebSocketMultiplayerPeer server on a free port and a client (prepared by `setup`);
## the client connects, sees the server's peer as TCP peer 127.0.0.1:`via` (the server's own
## port when `via` is 0), and a packet goes each way.
func _multiplayer_case(setup: Callable, via: int) -> void:
	var pair := _multiplayer_pair()
	var server = pair[0]
	var server_port: int = pair[1]
	if not _check(server_port > 0, "create_server on a free port"):
		return
	var joined := []
	server.peer_connected.connect(func(id): joined.append(id))
	var client = _own(RustWebSocketMultiplayerPeer.new())
	setup.call(client)
	if not _check(client.create_client("ws://127.0.0.1:%d/mp" % server_port) == OK, "create_client"):
		return
	var connected := await _wait([server, client], func():
		return client.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED and joined.size() == 1)
	if not _check(connected, "client connected and the server saw it (status %d, server saw %s)" % [client.get_connection_status(), joined]):
		_seen = STATUS_NAMES[client.get_connection_status()]
		return
	var expected: int = via if via != 0 else server_port
	var seen_port: int = client.get_peer_port(1)
	_seen = "connected %s" % _port_label(seen_port)
	_check(seen_port == expected, "the client's TCP peer: expected %s, got %s" % [_port_label(expected), _port_label(seen_port)])
	_check(client.get_unique_id() == joined[0], "the server knows the client by its ID")
	client.set_target_peer(MultiplayerPeer.TARGET_PEER_SERVER)
	client.put_packet("ping".to_utf8_buffer())
	var got := {}
	await _wait([server, client], func():
		if server.get_available_packet_count() > 0:
			got["from"] = server.get_packet_peer()
			got["server"] = server.get_packet().get_string_from_utf8()
			server.set_target_peer(got["from"])
			server.put_packet("pong".to_utf8_buffer())
		if client.get_available_packet_count() > 0:
			got["client"] = client.get_packet().get_string_from_utf8()
		return got.has("client"))
	if _check(got.get("server") == "ping" and got.get("from") == joined[0] and got.get("client") == "pong",
			"a packet each way: got %s" % var_to_str(got)):
		_seen += ", packets both ways"


## A multiplayer client through a proxy that refuses: it ends disconnected, the server never
## sees it.
func _multiplayer_refused_case(setup: Callable) -> void:
	var pair := _multiplayer_pair()
	var server = pair[0]
	if not _check(pair[1] > 0, "create_server on a free port"):
		return
	var joined := []
	server.peer_connected.connect(func(id): joined.append(id))
	var client = _own(RustWebSocketMultiplayerPeer.new())
	setup.call(client)
	if not _check(client.create_client("ws://127.0.0.1:%d/mp-refused" % pair[1]) == OK, "create_client"):
		return
	var done := await _wait([server, client], func():
		return client.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED)
	_seen = "%s, server saw %d peer(s)" % [STATUS_NAMES[client.get_connection_status()], joined.size()]
	_check(done, "the client ends disconnected (status %d)" % client.get_connection_status())
	await _poll_frames([server], 5)
	_check(joined.is_empty(), "the server saw no peer")


## [server, its port] for a RustWebSocketMultiplayerPeer server on 127.0.0.1 (port 0 if none).
func _multiplayer_pair() -> Array:
	var server = _own(RustWebSocketMultiplayerPeer.new())
	for attempt in 20:
		var candidate := 20000 + randi() % 40000
		if server.create_server(candidate, "127.0.0.1") == OK:
			return [server, candidate]
	return [server, 0]


# --- reporting -------------------------------------------------------------------------------------

func _describe_failure(client) -> String:
	var text := "CLOSED %s" % _kind_name(client.get_failure_kind())
	if client.get_handshake_status() != 0:
		text += " %d" % client.get_handshake_status()
	var reason := _hide(client.get_failure_reason())
	if reason.length() > 90:
		reason = reason.substr(0, 90) + "…"
	return text + (": " + reason if reason != "" else "")


func _kind_name(kind: int) -> String:
	return "FAILURE_" + (FAILURE_NAMES[kind] if kind >= 0 and kind < FAILURE_NAMES.size() else str(kind))


## Where a connection's TCP peer is: "via A (:port)" for a proxy's port, else "direct (:port)".
func _port_label(p: int) -> String:
	for role in ["a", "b", "c", "tls", "down", "nothttp"]:
		if port[role] == p:
			return "via %s (:%d)" % ["TLS proxy" if role == "tls" else role.to_upper(), p]
	return "direct (:%d)" % p


## A proxy URL for the matrix: the role, no credentials.
func _role_of(url: String) -> String:
	for role in port:
		if url.ends_with(":%d" % port[role]):
			return role.to_upper()
	return _hide(url)


func _leaks(text: String) -> bool:
	return password != "" and text.contains(password)


## `text` with the password masked, for printing.
func _hide(text: String) -> String:
	return text.replace(password, "***") if password != "" else text


func _print_matrix() -> void:
	print("")
	print("Proxy matrix:")
	print("| case | expected | seen |")
	print("| --- | --- | --- |")
	for row in matrix:
		print("| %s | %s | %s |" % [row[0], row[1], _hide(row[2]).replace("|", "/")])
	print("")
