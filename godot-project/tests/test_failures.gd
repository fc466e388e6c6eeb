# Why a connection failed, through the real engine: get_failure_kind(),
# get_failure_reason() and get_handshake_status() for every FailureKind, on the
# client and the server side, over ws and wss; and the logging rule: network
# outcomes log no error, one warning per failed attempt and nothing for the end of
# an open connection, programmer
# errors stay errors, located at the class method.
extends "res://tests/test_case.gd"

const Raw := preload("res://tests/raw.gd")
const Pair := preload("res://tests/pair.gd")
const TlsServer := preload("res://tests/tls_server.gd")
const LogCapture := preload("res://tests/log_capture.gd")
const OPEN := 1
const CLOSED := 3

var captured: LogCapture


## The other end of the connection, played byte by byte by the test over TCP or
## TLS: the server of a client under test, or the client of a server under test.
class Remote:
	var listener := TCPServer.new()
	var stream: StreamPeer
	var tls := false
	var port := 0

	func ready() -> bool:
		if stream == null:
			return false
		stream.poll()
		if stream is StreamPeerTLS:
			return stream.get_status() == StreamPeerTLS.STATUS_CONNECTED
		return stream.get_status() == StreamPeerTCP.STATUS_CONNECTED

	func read() -> PackedByteArray:
		if not ready():
			return PackedByteArray()
		var n := stream.get_available_bytes()
		return stream.get_data(n)[1] if n > 0 else PackedByteArray()

	func send(bytes: PackedByteArray) -> void:
		stream.put_data(bytes)

	func drop() -> void:
		if stream is StreamPeerTLS:
			stream.disconnect_from_stream()
		else:
			stream.disconnect_from_host()


func _init() -> void:
	captured = LogCapture.new()
	OS.add_logger(captured)


func cleanup() -> void:
	await super()
	OS.remove_logger(captured)


func _scheme(tls: bool) -> String:
	return "wss" if tls else "ws"


## Polls `peers` and reads `remote` until `done(text read)` holds.
func _read_until(remote: Remote, peers: Array, done: Callable, timeout_s := 5.0) -> String:
	var got := {"bytes": PackedByteArray()}
	await poll_until(peers, func():
		got["bytes"].append_array(remote.read())
		return done.call(got["bytes"].get_string_from_utf8()), timeout_s)
	return got["bytes"].get_string_from_utf8()


## Starts `client` connecting to a Remote server (TLS with the test certificate
## when `tls`) and returns it once the TCP connection is accepted.
func _serve(client, tls: bool) -> Remote:
	var remote := Remote.new()
	remote.tls = tls
	own(remote.listener)
	remote.listener.listen(0, "127.0.0.1")
	remote.port = remote.listener.get_local_port()
	var creds := TlsServer.credentials()
	var url := "%s://%s:%d/" % [_scheme(tls), "localhost" if tls else "127.0.0.1", remote.port]
	check_eq(client.connect_to_url(url, TLSOptions.client(creds[1]) if tls else null), OK, "connect_to_url " + url)
	await poll_until([client], func(): return remote.listener.is_connection_available())
	var tcp := remote.listener.take_connection()
	if tcp == null:
		check(false, "the client reached the remote server")
		return remote
	if tls:
		var stream := StreamPeerTLS.new()
		stream.accept_stream(tcp, TLSOptions.server(creds[0], creds[1]))
		remote.stream = stream
	else:
		remote.stream = tcp
	own(tcp)
	return remote


## Reads the client's request and answers `response`, or a valid 101 when empty.
func _answer(remote: Remote, client, response := "") -> void:
	var request := await _read_until(remote, [client], Raw.has_header_end)
	if response == "":
		response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % Raw.accept_key(Raw.request_key(request))
	remote.send(response.to_utf8_buffer())


## A client under test, open against a Remote server.
func _open_client(tls: bool, setup := Callable()) -> Array:
	var client = own(RustWebSocketPeer.new())
	if setup.is_valid():
		setup.call(client)
	var remote := await _serve(client, tls)
	await _answer(remote, client)
	await poll_until([client], func(): return client.get_ready_state() != 0)
	check_eq(client.get_ready_state(), OPEN, "%s client opened" % _scheme(tls))
	return [client, remote]


## A Remote client connected to `server` (which accepts the stream, over TLS when `tls`).
func _dial(server, tls: bool) -> Remote:
	var remote := Remote.new()
	remote.tls = tls
	own(remote.listener)
	remote.listener.listen(0, "127.0.0.1")
	var tcp := StreamPeerTCP.new()
	own(tcp)
	tcp.connect_to_host("127.0.0.1", remote.listener.get_local_port())
	await poll_until([], func():
		tcp.poll()
		return tcp.get_status() == StreamPeerTCP.STATUS_CONNECTED and remote.listener.is_connection_available())
	var accepted: StreamPeer = remote.listener.take_connection()
	var creds := TlsServer.credentials()
	if tls:
		var client_tls := StreamPeerTLS.new()
		client_tls.connect_to_stream(tcp, "localhost", TLSOptions.client(creds[1]))
		remote.stream = client_tls
		var server_tls := StreamPeerTLS.new()
		server_tls.accept_stream(accepted, TLSOptions.server(creds[0], creds[1]))
		accepted = server_tls
	else:
		remote.stream = tcp
	check_eq(server.accept_stream(accepted), OK, "accept_stream")
	return remote


const REQUEST := "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"


## A server under test, open with a Remote client.
func _open_server(tls: bool, setup := Callable()) -> Array:
	var server = own(RustWebSocketPeer.new())
	if setup.is_valid():
		setup.call(server)
	var remote := await _dial(server, tls)
	await poll_until([server], func(): return remote.ready())
	remote.send(REQUEST.to_utf8_buffer())
	await _read_until(remote, [server], Raw.has_header_end)
	check_eq(server.get_ready_state(), OPEN, "%s server opened" % _scheme(tls))
	return [server, remote]


## The failure API of `peer`, and its place in the log: no error, and for a failed
## attempt to connect or accept exactly one warning that carries the reason, located at
## a class method; for the end of an open connection (`open`) no line at all.
func _check_failure(peer, kind: int, reason_part: String, what: String, status := 0, open := false) -> void:
	check_eq(peer.get_failure_kind(), kind, what + ": get_failure_kind()")
	var reason: String = peer.get_failure_reason()
	check(reason.contains(reason_part), "%s: reason %s contains %s" % [what, var_to_str(reason), var_to_str(reason_part)])
	check(not reason.contains("\n"), what + ": the reason is one line")
	check_eq(peer.get_handshake_status(), status, what + ": get_handshake_status()")
	check_eq(captured.lines(LogCapture.ERROR), PackedStringArray(), what + ": no error logged")
	var warnings := captured.lines(LogCapture.WARNING)
	if open:
		check_eq(warnings, PackedStringArray(), what + ": the end of an open connection logs nothing")
	elif check_eq(warnings.size(), 1, what + ": one warning line " + str(warnings)):
		check(warnings[0].begins_with("RustWebSocketPeer."), what + ": warning located at a class method: " + warnings[0])
		check(warnings[0].contains(reason), what + ": the warning gives the reason: " + warnings[0])
	captured.clear()


func _wait_closed(peers: Array, peer, timeout_s := 10.0) -> bool:
	return await poll_until(peers, func(): return peer.get_ready_state() == CLOSED, timeout_s)


# ---- one test per kind --------------------------------------------------------

func test_dns_failure() -> void:
	for tls in [false, true]:
		var client = own(RustWebSocketPeer.new())
		var url := "%s://nonexistent.invalid/" % _scheme(tls)
		check_eq(client.connect_to_url(url, TLSOptions.client_unsafe() if tls else null), OK, "connect_to_url " + url)
		check_eq(client.get_failure_kind(), RustWebSocketPeer.FAILURE_NONE, "no failure while resolving")
		await _wait_closed([client], client, 15.0)
		_check_failure(client, RustWebSocketPeer.FAILURE_DNS, "cannot resolve \"nonexistent.invalid\"", url)


func test_connect_failure() -> void:
	var probe := TCPServer.new()
	probe.listen(0, "127.0.0.1")
	var port := probe.get_local_port()
	probe.stop() # nobody listens there now: refused
	for tls in [false, true]:
		var client = own(RustWebSocketPeer.new())
		client.connect_to_url("%s://127.0.0.1:%d/" % [_scheme(tls), port], TLSOptions.client_unsafe() if tls else null)
		await _wait_closed([client], client)
		_check_failure(client, RustWebSocketPeer.FAILURE_CONNECT, "connection refused by 127.0.0.1:%d" % port, "refused " + _scheme(tls))
	# An address no connect can even start to: FAILED at once, as the engine.
	var client = own(RustWebSocketPeer.new())
	check_eq(client.connect_to_url("ws://255.255.255.255:1/"), FAILED, "broadcast address")
	check_eq(client.get_ready_state(), CLOSED, "CLOSED at once")
	_check_failure(client, RustWebSocketPeer.FAILURE_CONNECT, "255.255.255.255:1", "broadcast address")


func test_tls_failure() -> void:
	# Client: the server's certificate is not trusted (TLSOptions.client() uses the system CAs).
	var server := TlsServer.new()
	server.start(self, RustWebSocketPeer)
	var client = own(RustWebSocketPeer.new())
	client.connect_to_url("wss://localhost:%d/" % server.port, TLSOptions.client())
	await poll_until([client, server], func():
		return client.get_ready_state() == CLOSED and server.peer.get_ready_state() == CLOSED, 10.0)
	check_eq(client.get_ready_state(), CLOSED, "untrusted certificate: client CLOSED")
	check_eq(server.peer.get_ready_state(), CLOSED, "untrusted certificate: server CLOSED")
	# Both peers failed; check each with the other's warning taken out.
	var warnings := captured.lines(LogCapture.WARNING)
	check_eq(warnings.size(), 2, "one warning per failed peer: " + str(warnings))
	check_eq(client.get_failure_kind(), RustWebSocketPeer.FAILURE_TLS, "client kind")
	check(client.get_failure_reason().contains("certificate"), "client reason names the certificate: " + client.get_failure_reason())
	check_eq(server.peer.get_failure_kind(), RustWebSocketPeer.FAILURE_TLS, "server kind")
	check_eq(captured.lines(LogCapture.ERROR), PackedStringArray(), "no error logged")
	captured.clear()

	# Client: a plain server on a wss:// URL.
	var listener: TCPServer = own(TCPServer.new())
	listener.listen(0, "127.0.0.1")
	var plain = own(RustWebSocketPeer.new())
	var client2 = own(RustWebSocketPeer.new())
	client2.connect_to_url("wss://127.0.0.1:%d/" % listener.get_local_port(), TLSOptions.client_unsafe())
	await poll_until([client2, plain], func():
		if listener.is_connection_available():
			plain.accept_stream(listener.take_connection())
		return client2.get_ready_state() == CLOSED, 10.0)
	check_eq(client2.get_failure_kind(), RustWebSocketPeer.FAILURE_TLS, "plain server on wss://: client kind")
	captured.clear()

	# Server: a client that speaks plain HTTP to a TLS server.
	var server2 = own(RustWebSocketPeer.new())
	var remote := Remote.new()
	own(remote.listener)
	remote.listener.listen(0, "127.0.0.1")
	var tcp := StreamPeerTCP.new()
	own(tcp)
	tcp.connect_to_host("127.0.0.1", remote.listener.get_local_port())
	await poll_until([], func(): tcp.poll(); return remote.listener.is_connection_available())
	var tls := StreamPeerTLS.new()
	var creds := TlsServer.credentials()
	tls.accept_stream(remote.listener.take_connection(), TLSOptions.server(creds[0], creds[1]))
	check_eq(server2.accept_stream(tls), OK, "accept_stream(StreamPeerTLS)")
	await poll_until([server2], func(): tcp.poll(); return tcp.get_status() == StreamPeerTCP.STATUS_CONNECTED)
	tcp.put_data(REQUEST.to_utf8_buffer())
	await _wait_closed([server2], server2)
	_check_failure(server2, RustWebSocketPeer.FAILURE_TLS, "TLS", "plain HTTP to a TLS server")


func test_handshake_failure() -> void:
	# Client: the server answers 403.
	for tls in [false, true]:
		var client = own(RustWebSocketPeer.new())
		var remote := await _serve(client, tls)
		await _answer(remote, client, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
		await _wait_closed([client], client)
		_check_failure(client, RustWebSocketPeer.FAILURE_HANDSHAKE, "server answered HTTP 403", "403 over " + _scheme(tls), 403)
	# Client: a 101 with the wrong Sec-WebSocket-Accept: no HTTP status to report.
	var client = own(RustWebSocketPeer.new())
	var remote := await _serve(client, false)
	await _answer(remote, client, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n")
	await _wait_closed([client], client)
	_check_failure(client, RustWebSocketPeer.FAILURE_HANDSHAKE, "Sec-WebSocket-Accept", "wrong accept key")
	# Server: a request without Sec-WebSocket-Key is answered 400.
	for tls in [false, true]:
		var server = own(RustWebSocketPeer.new())
		var dialer := await _dial(server, tls)
		await poll_until([server], func(): return dialer.ready())
		dialer.send("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n".to_utf8_buffer())
		var answer := await _read_until(dialer, [server], Raw.has_header_end)
		check(answer.begins_with("HTTP/1.1 400"), "answered 400: " + answer.get_slice("\r\n", 0))
		await _wait_closed([server], server)
		_check_failure(server, RustWebSocketPeer.FAILURE_HANDSHAKE, "Sec-WebSocket-Key", "bad request over " + _scheme(tls), 400)


func test_protocol_failure() -> void:
	for tls in [false, true]:
		# Client: the server masks a frame.
		var c: Array = await _open_client(tls)
		c[1].send(Raw.frame(true, 0x1, Raw.text("masked"), true))
		await _wait_closed([c[0]], c[0])
		_check_failure(c[0], RustWebSocketPeer.FAILURE_PROTOCOL, "closed with 1002", "masked frame to a %s client" % _scheme(tls), 0, true)
		# Server: the client does not mask.
		var s: Array = await _open_server(tls)
		s[1].send(Raw.frame(true, 0x1, Raw.text("unmasked")))
		await _wait_closed([s[0]], s[0])
		_check_failure(s[0], RustWebSocketPeer.FAILURE_PROTOCOL, "closed with 1002", "unmasked frame to a %s server" % _scheme(tls), 0, true)


func test_limit_failure() -> void:
	var small := func(p): p.inbound_buffer_size = 100
	for tls in [false, true]:
		var c: Array = await _open_client(tls, small)
		c[1].send(Raw.frame(true, 0x2, _bytes(200)))
		await _wait_closed([c[0]], c[0])
		_check_failure(c[0], RustWebSocketPeer.FAILURE_LIMIT, "closed with 1009", "200 bytes to a %s client" % _scheme(tls), 0, true)
		var s: Array = await _open_server(tls, small)
		s[1].send(Raw.frame(true, 0x2, _bytes(200), true))
		await _wait_closed([s[0]], s[0])
		_check_failure(s[0], RustWebSocketPeer.FAILURE_LIMIT, "closed with 1009", "200 bytes to a %s server" % _scheme(tls), 0, true)


func _bytes(n: int) -> PackedByteArray:
	var out := PackedByteArray()
	out.resize(n)
	return out


func test_timeout_failure() -> void:
	var beat := func(p): p.heartbeat_interval = 0.2
	for tls in [false, true]:
		# The remote never answers pings.
		var c: Array = await _open_client(tls, beat)
		await _wait_closed([c[0]], c[0], 5.0)
		_check_failure(c[0], RustWebSocketPeer.FAILURE_TIMEOUT, "heartbeat_interval", "heartbeat of a %s client" % _scheme(tls), 0, true)
		var s: Array = await _open_server(tls, beat)
		await _wait_closed([s[0]], s[0], 5.0)
		_check_failure(s[0], RustWebSocketPeer.FAILURE_TIMEOUT, "heartbeat_interval", "heartbeat of a %s server" % _scheme(tls), 0, true)
	# Close (5 s) and opening handshake (10 s) deadlines, run side by side.
	var c: Array = await _open_client(false)
	c[0].close(1000, "bye")
	var quiet_server = own(RustWebSocketPeer.new())
	await _dial(quiet_server, false) # connects and never sends a request
	await poll_until([c[0], quiet_server], func():
		return c[0].get_ready_state() == CLOSED and quiet_server.get_ready_state() == CLOSED, 15.0)
	check_eq(c[0].get_failure_kind(), RustWebSocketPeer.FAILURE_TIMEOUT, "unanswered close: kind")
	check(c[0].get_failure_reason().contains("closing handshake"), "unanswered close: reason " + c[0].get_failure_reason())
	check_eq(quiet_server.get_failure_kind(), RustWebSocketPeer.FAILURE_TIMEOUT, "silent client: kind")
	check(quiet_server.get_failure_reason().contains("timed out"), "silent client: reason " + quiet_server.get_failure_reason())
	var warnings := captured.lines(LogCapture.WARNING)
	check_eq(warnings.size(), 1, "one warning, the silent client's (an unanswered close ends an open connection): " + str(warnings))
	check_eq(captured.lines(LogCapture.ERROR), PackedStringArray(), "no error logged")


func test_connection_lost() -> void:
	for tls in [false, true]:
		# Client: the server drops TCP without a Close frame.
		var c: Array = await _open_client(tls)
		c[1].drop()
		await _wait_closed([c[0]], c[0])
		_check_failure(c[0], RustWebSocketPeer.FAILURE_CONNECTION_LOST, "without a Close frame", "server hang-up, " + _scheme(tls), 0, true)
		check_eq(c[0].get_close_code(), -1, "no Close frame: code -1")
		# Server: the client drops TCP.
		var s: Array = await _open_server(tls)
		s[1].drop()
		await _wait_closed([s[0]], s[0])
		_check_failure(s[0], RustWebSocketPeer.FAILURE_CONNECTION_LOST, "without a Close frame", "client hang-up, " + _scheme(tls), 0, true)
	# Client: the server hangs up during the handshake.
	var client = own(RustWebSocketPeer.new())
	var remote := await _serve(client, false)
	await _read_until(remote, [client], Raw.has_header_end)
	remote.drop()
	await _wait_closed([client], client)
	_check_failure(client, RustWebSocketPeer.FAILURE_CONNECTION_LOST, "during the handshake", "hang-up in the handshake")


# ---- the rules around it ------------------------------------------------------

func test_clean_closes_and_caller_aborts_are_no_failure() -> void:
	var pair := Pair.new()
	await pair.start(self, RustWebSocketPeer, RustWebSocketPeer)
	pair.client.close(4000, "done")
	await poll_until([pair.client, pair.server], pair.both_closed)
	check_eq([pair.client.get_failure_kind(), pair.server.get_failure_kind()], [0, 0], "clean close: FAILURE_NONE on both sides")
	check_eq([pair.client.get_failure_reason(), pair.client.get_handshake_status()], ["", 0], "clean close: no reason, no status")
	var pair2 := Pair.new()
	await pair2.start(self, RustWebSocketPeer, RustWebSocketPeer)
	pair2.client.close(-1)
	await poll_until([pair2.client, pair2.server], pair2.both_closed)
	check_eq(pair2.client.get_failure_kind(), RustWebSocketPeer.FAILURE_NONE, "close(-1): no failure for the caller")
	check_eq(pair2.server.get_failure_kind(), RustWebSocketPeer.FAILURE_CONNECTION_LOST, "close(-1): connection lost for the other side")
	check_eq(captured.lines(LogCapture.WARNING), PackedStringArray(), "no warning: the server's connection was open")
	check_eq(captured.lines(LogCapture.ERROR), PackedStringArray(), "no error logged")


func test_failure_resets_on_every_attempt() -> void:
	var probe := TCPServer.new()
	probe.listen(0, "127.0.0.1")
	var port := probe.get_local_port()
	probe.stop()
	var peer = own(RustWebSocketPeer.new())
	peer.connect_to_url("ws://127.0.0.1:%d/" % port)
	await _wait_closed([peer], peer)
	check_eq(peer.get_failure_kind(), RustWebSocketPeer.FAILURE_CONNECT, "first attempt refused")
	var listener: TCPServer = own(TCPServer.new())
	listener.listen(0, "127.0.0.1")
	check_eq(peer.connect_to_url("ws://127.0.0.1:%d/" % listener.get_local_port()), OK, "second attempt")
	check_eq([peer.get_failure_kind(), peer.get_failure_reason(), peer.get_handshake_status()], [0, "", 0], "reset by connect_to_url")
	peer.close()
	# A refused handshake, then accept_stream on the same object.
	var client = own(RustWebSocketPeer.new())
	var remote := await _serve(client, false)
	await _answer(remote, client, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	await _wait_closed([client], client)
	check_eq(client.get_handshake_status(), 404, "404 reported")
	var stream := StreamPeerTCP.new()
	own(stream)
	stream.connect_to_host("127.0.0.1", listener.get_local_port())
	await poll_until([], func(): return listener.is_connection_available())
	check_eq(client.accept_stream(listener.take_connection()), OK, "accept_stream on the same object")
	check_eq([client.get_failure_kind(), client.get_failure_reason(), client.get_handshake_status()], [0, "", 0], "reset by accept_stream")


## The soak case: a server echoing what it reads while the state reads OPEN, on
## a connection the client aborted mid-stream. Its sends fail quietly.
func test_sends_after_the_peer_went_away_fail_quietly() -> void:
	var s: Array = await _open_server(false)
	var server = s[0]
	for i in 5:
		s[1].send(Raw.frame(true, 0x1, Raw.text("m%d" % i), true))
	s[1].drop()
	await poll_until([server], func(): return server.get_failure_kind() != RustWebSocketPeer.FAILURE_NONE)
	check_eq(server.get_ready_state(), OPEN, "OPEN while unread messages remain")
	var echoed := 0
	var results := []
	while server.get_ready_state() == OPEN:
		var packet: PackedByteArray = server.get_packet()
		results.append(server.send(packet, RustWebSocketPeer.WRITE_MODE_TEXT))
		echoed += 1
		server.poll()
	check_eq(echoed, 5, "every message read")
	check(results.all(func(r): return r == FAILED), "each echo returned FAILED: " + str(results))
	_check_failure(server, RustWebSocketPeer.FAILURE_CONNECTION_LOST, "without a Close frame", "echo after the hang-up", 0, true)
	# Every accept_stream resets it, even one refused for its argument.
	check_eq(server.accept_stream(null), ERR_INVALID_PARAMETER, "accept_stream(null)")
	check_eq([server.get_failure_kind(), server.get_failure_reason()], [0, ""], "reset by a refused accept_stream")


## A game that retries a server that is down: one warning for the first failure, none
## for the repeats, from either class; the failure API still says why every time.
func test_a_reconnect_loop_warns_once() -> void:
	var probe := TCPServer.new()
	probe.listen(0, "127.0.0.1")
	var url := "ws://127.0.0.1:%d/retry" % probe.get_local_port()
	probe.stop()
	for attempt in 4:
		var client = own(RustWebSocketPeer.new())
		client.connect_to_url(url)
		await _wait_closed([client], client)
		check_eq(client.get_failure_kind(), RustWebSocketPeer.FAILURE_CONNECT, "attempt %d: refused" % attempt)
	var warnings := captured.lines(LogCapture.WARNING)
	check_eq(warnings.size(), 1, "one warning for four refused attempts: " + str(warnings))
	captured.clear()
	var multiplayer_url := url.replace("/retry", "/lobby")
	for attempt in 3:
		var peer := RustWebSocketMultiplayerPeer.new()
		peer.create_client(multiplayer_url)
		check(await poll_until([peer], func():
			return peer.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED), "multiplayer attempt %d gave up" % attempt)
	warnings = captured.lines(LogCapture.WARNING)
	check_eq(warnings.size(), 1, "one warning for three multiplayer attempts: " + str(warnings))
	check_eq(captured.lines(LogCapture.ERROR), PackedStringArray(), "no error logged")
	captured.clear()


func test_programmer_errors_stay_errors_at_the_method() -> void:
	var peer = own(RustWebSocketPeer.new())
	peer.send_text("never opened")
	peer.put_packet(PackedByteArray([1]))
	peer.get_packet()
	peer.set_inbound_buffer_size(0)
	var errors := captured.lines(LogCapture.ERROR)
	var functions := []
	for line in errors:
		functions.append(line.get_slice(" | ", 0))
	check_eq(functions, ["RustWebSocketPeer.send_text", "RustWebSocketPeer.put_packet", "RustWebSocketPeer.get_packet", "RustWebSocketPeer.set_inbound_buffer_size"], "error locations")
	check_eq(peer.get_failure_kind(), RustWebSocketPeer.FAILURE_NONE, "misuse is no failure")
	captured.clear()
	# Sending after the caller closed, and an invalid close code.
	var pair := Pair.new()
	await pair.start(self, RustWebSocketPeer, RustWebSocketPeer)
	pair.client.close(999)
	check_eq(pair.client.get_ready_state(), OPEN, "invalid code refused: still OPEN")
	pair.client.close()
	check_eq(pair.client.send_text("late"), FAILED, "send after close()")
	functions = []
	for line in captured.lines(LogCapture.ERROR):
		functions.append(line.get_slice(" | ", 0))
	check_eq(functions, ["RustWebSocketPeer.close", "RustWebSocketPeer.send_text"], "errors for close(999) and the late send")
	check_eq(captured.lines(LogCapture.WARNING), PackedStringArray(), "no warning")


## The multiplayer class logs as itself, at the method the game called, with the
## same checks and words as RustWebSocketPeer for the settings the two share.
func test_multiplayer_lines_name_its_own_class_and_method() -> void:
	var multiplayer_peer := RustWebSocketMultiplayerPeer.new()
	var peer = own(RustWebSocketPeer.new())
	check_eq(multiplayer_peer.create_client("foo://game.example"), ERR_INVALID_PARAMETER, "an invalid scheme")
	multiplayer_peer.inbound_buffer_size = 0
	peer.inbound_buffer_size = 0
	multiplayer_peer.max_queued_packets = -1
	peer.max_queued_packets = -1
	var errors := captured.lines(LogCapture.ERROR)
	check_eq(Array(errors).map(func(line): return line.get_slice(" | ", 0)), [
		"RustWebSocketMultiplayerPeer.create_client", "RustWebSocketMultiplayerPeer.set_inbound_buffer_size",
		"RustWebSocketPeer.set_inbound_buffer_size", "RustWebSocketMultiplayerPeer.set_max_queued_packets",
		"RustWebSocketPeer.set_max_queued_packets"], "error locations")
	if errors.size() == 5:
		for pair in [[1, 2], [3, 4]]:
			check_eq(errors[pair[0]].get_slice(": ", 1), errors[pair[1]].get_slice(": ", 1), "one wording: " + errors[pair[0]])
	captured.clear()
	# A refused connection: one warning, from the multiplayer class.
	var probe := TCPServer.new()
	probe.listen(0, "127.0.0.1")
	var port := probe.get_local_port()
	probe.stop()
	var url := "ws://127.0.0.1:%d/" % port
	var started := multiplayer_peer.create_client(url)
	check(started == OK or started == FAILED, "create_client to a closed port: %s" % error_string(started))
	check(await poll_until([multiplayer_peer], func():
		return multiplayer_peer.get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED), "gave up")
	check_eq(captured.lines(LogCapture.ERROR), PackedStringArray(), "no error for a refused connection")
	var warnings := captured.lines(LogCapture.WARNING)
	if check_eq(warnings.size(), 1, "one warning " + str(warnings)):
		check(warnings[0].begins_with("RustWebSocketMultiplayerPeer.poll | ") or
			warnings[0].begins_with("RustWebSocketMultiplayerPeer.create_client | "), "located at our method: " + warnings[0])
		check(warnings[0].contains("%s failed: connection refused by 127.0.0.1:%d" % [url, port]), "the reason: " + warnings[0])
	captured.clear()


func test_failure_kind_enum_is_registered() -> void:
	check(ClassDB.class_has_enum("RustWebSocketPeer", "FailureKind", true), "enum FailureKind")
	check_eq(ClassDB.class_get_enum_constants("RustWebSocketPeer", "FailureKind", true), PackedStringArray([
		"FAILURE_NONE", "FAILURE_DNS", "FAILURE_CONNECT", "FAILURE_TLS", "FAILURE_HANDSHAKE",
		"FAILURE_PROTOCOL", "FAILURE_TIMEOUT", "FAILURE_CONNECTION_LOST", "FAILURE_LIMIT", "FAILURE_PROXY"]), "constants in order")
	check_eq(RustWebSocketPeer.FAILURE_LIMIT, 8, "FAILURE_LIMIT")
	check_eq(RustWebSocketPeer.FAILURE_PROXY, 9, "FAILURE_PROXY")
	var kind: RustWebSocketPeer.FailureKind = RustWebSocketPeer.new().get_failure_kind()
	check_eq(kind, RustWebSocketPeer.FailureKind.FAILURE_NONE, "typed FailureKind of a fresh peer")
	var method := {}
	for m in ClassDB.class_get_method_list("RustWebSocketPeer", true):
		method[m["name"]] = m
	check_eq(method["get_failure_kind"]["return"]["class_name"], &"RustWebSocketPeer.FailureKind", "return type of get_failure_kind")


## The end of an open connection prints nothing at the default verbosity, and one line
## (not a warning) with Godot's --verbose: a child Godot runs tests/verbose/open_end.gd both ways.
func test_the_end_of_an_open_connection_shows_only_with_verbose() -> void:
	var godot := OS.get_environment("WS_GODOT")
	if not check(godot != "", "WS_GODOT names the Godot launcher (tests/godot-tests sets it)"):
		return
	var line := "RustWebSocketPeer.poll: ws://127.0.0.1:"
	for verbose in [false, true]:
		var args := PackedStringArray(["--headless", "--path", ProjectSettings.globalize_path("res://"),
			"--script", "res://tests/verbose/open_end.gd"])
		if verbose:
			args.insert(0, "--verbose")
		var output := []
		var code := OS.execute(godot, args, output, true)
		var text: String = "".join(output)
		var what := "with --verbose" if verbose else "by default"
		check_eq(code, 0, "%s: the child exits 0" % what)
		check(text.contains("open_end: done kind=%d" % RustWebSocketPeer.FAILURE_CONNECTION_LOST), "%s: the connection ended as lost: %s" % [what, text.right(300)])
		check(not text.contains("WARNING: " + line) and not text.contains("ERROR: " + line), "%s: no warning or error" % what)
		var shown := text.contains(line) and text.contains("/open-end failed: ")
		check_eq(shown, verbose, "%s: the end is %s" % [what, "printed" if verbose else "not printed"])
