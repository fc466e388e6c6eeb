# wss:// with RustWebSocketPeer as the client (rustls) against TLS servers made
# the way Godot games make them, every TLSOptions variant, and TLS servers
# through accept_stream(StreamPeerTLS).
extends "res://tests/test_case.gd"

const TlsServer := preload("res://tests/tls_server.gd")
const OPEN := 1
const CLOSED := 3


## Connects `client_cls` to a TLS server peer of `server_cls`; returns [client, server] once settled.
func _connect(client_cls, server_cls, host: String, options: TLSOptions, setup := Callable()) -> Array:
	var server := TlsServer.new()
	server.start(self, server_cls, setup)
	var client = own(client_cls.new())
	if setup.is_valid():
		setup.call(client)
	var err: int = client.connect_to_url("wss://%s:%d/tls" % [host, server.port], options)
	check_eq(err, OK, "connect_to_url")
	await poll_until([client, server], func():
		return client.get_ready_state() == CLOSED or (client.get_ready_state() == OPEN and server.peer.get_ready_state() == OPEN), 10.0)
	return [client, server]


func _trusted() -> TLSOptions:
	return TLSOptions.client(TlsServer.credentials()[1])


func test_rust_client_with_every_server_class() -> void:
	for server_cls in [RustWebSocketPeer, WebSocketPeer]:
		var r: Array = await _connect(RustWebSocketPeer, server_cls, "localhost", _trusted())
		var client = r[0]
		var server: TlsServer = r[1]
		if not check_eq(client.get_ready_state(), OPEN, "OPEN against %s over TLS" % server_cls):
			continue
		check(server.peer.get_requested_url().begins_with("wss://localhost:"), "server sees a wss:// URL: " + server.peer.get_requested_url())
		client.send_text("over tls")
		server.peer.put_packet(PackedByteArray([1, 2, 3]))
		await poll_until([client, server], func(): return client.get_available_packet_count() > 0 and server.peer.get_available_packet_count() > 0, 5.0)
		check_eq(server.peer.get_packet().get_string_from_utf8(), "over tls", "server received")
		check_eq(client.get_packet(), PackedByteArray([1, 2, 3]), "client received")
		client.close(1000, "tls done")
		await poll_until([client, server], func(): return client.get_ready_state() == CLOSED and server.peer.get_ready_state() == CLOSED, 5.0)
		check_eq([client.get_close_code(), server.peer.get_close_code()], [1000, 1000], "clean close over TLS")


func test_engine_client_with_rust_tls_server() -> void:
	var r: Array = await _connect(WebSocketPeer, RustWebSocketPeer, "localhost", _trusted())
	var client = r[0]
	var server: TlsServer = r[1]
	check_eq([client.get_ready_state(), server.peer.get_ready_state()], [OPEN, OPEN], "both OPEN")
	client.send_text("engine over tls")
	await poll_until([client, server], func(): return server.peer.get_available_packet_count() > 0, 5.0)
	check_eq(server.peer.get_packet().get_string_from_utf8(), "engine over tls", "received")
	check(server.peer.get_requested_url().begins_with("wss://"), "wss:// requested URL")


func test_tls_options_variants() -> void:
	var cert: X509Certificate = TlsServer.credentials()[1]
	var cases := [
		# [label, host, options, expected state]
		["default options reject an untrusted self-signed certificate", "localhost", null, CLOSED],
		["TLSOptions.client() rejects it too", "localhost", TLSOptions.client(), CLOSED],
		["client(cert) trusts it", "localhost", TLSOptions.client(cert), OPEN],
		["client(cert) on an IP URL: name mismatch", "127.0.0.1", TLSOptions.client(cert), CLOSED],
		["client(cert, \"localhost\") on an IP URL", "127.0.0.1", TLSOptions.client(cert, "localhost"), OPEN],
		["client(cert, \"wrong.name\")", "localhost", TLSOptions.client(cert, "wrong.name"), CLOSED],
		["client_unsafe() accepts anything", "127.0.0.1", TLSOptions.client_unsafe(), OPEN],
	]
	for c in cases:
		var r: Array = await _connect(RustWebSocketPeer, RustWebSocketPeer, c[1], c[2])
		check_eq(r[0].get_ready_state(), c[3], c[0])
		if c[3] == CLOSED:
			check_eq(r[0].get_close_code(), -1, c[0] + ": close code -1")
	var p = own(RustWebSocketPeer.new())
	var creds := TlsServer.credentials()
	check_eq(p.connect_to_url("wss://localhost:1", TLSOptions.server(creds[0], creds[1])), ERR_INVALID_PARAMETER, "server options refused")


func test_plain_server_on_a_wss_url_fails_cleanly() -> void:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var plain = own(RustWebSocketPeer.new())
	var client = own(RustWebSocketPeer.new())
	client.connect_to_url("wss://127.0.0.1:%d/" % tcp.get_local_port(), TLSOptions.client_unsafe())
	await poll_until([client, plain], func():
		if tcp.is_connection_available():
			plain.accept_stream(tcp.take_connection())
		return client.get_ready_state() == CLOSED, 10.0)
	check_eq([client.get_ready_state(), client.get_close_code()], [CLOSED, -1], "CLOSED with -1")


func test_large_and_many_messages_over_tls_both_ways() -> void:
	var big := func(p): p.inbound_buffer_size = 20 << 20; p.outbound_buffer_size = 0
	var r: Array = await _connect(RustWebSocketPeer, RustWebSocketPeer, "localhost", _trusted(), big)
	var client = r[0]
	var server: TlsServer = r[1]
	if not check_eq(client.get_ready_state(), OPEN, "OPEN"):
		return
	var payload := PackedByteArray()
	payload.resize(16 << 20)
	for i in range(0, payload.size(), 4099):
		payload[i] = i & 0xff
	client.put_packet(payload)
	server.peer.put_packet(payload)
	for i in 2000:
		client.send_text("c%d" % i)
		server.peer.send_text("s%d" % i)
	var got := {"client": [], "server": []}
	await poll_until([client, server], func():
		while client.get_available_packet_count() > 0:
			got["client"].append(client.get_packet())
		while server.peer.get_available_packet_count() > 0:
			got["server"].append(server.peer.get_packet())
		return got["client"].size() == 2001 and got["server"].size() == 2001, 60.0)
	for side in ["client", "server"]:
		var msgs: Array = got[side]
		if not check_eq(msgs.size(), 2001, side + " received every message"):
			continue
		check(msgs[0] == payload, side + ": 16 MiB message intact")
		var in_order := true
		var prefix := "s" if side == "client" else "c"
		for i in 2000:
			in_order = in_order and msgs[i + 1].get_string_from_utf8() == "%s%d" % [prefix, i]
		check(in_order, side + ": small messages complete and in order")


func test_rust_client_with_python_websockets_tls_server() -> void:
	var python := OS.get_environment("WS_PYTHON")
	if not check(python != "", "WS_PYTHON names the peers' python (tests/godot-tests provisions it)"):
		return
	var creds := TlsServer.credentials()
	var cert_path := OS.get_user_data_dir().path_join("python_peer.crt")
	var key_path := OS.get_user_data_dir().path_join("python_peer.key")
	check_eq(creds[1].save(cert_path), OK, "certificate saved")
	check_eq(creds[0].save(key_path), OK, "key saved")
	var script := ProjectSettings.globalize_path("res://").path_join("../tests/peers/wss_echo_server.py").simplify_path()
	var proc := OS.execute_with_pipe(python, [script, cert_path, key_path])
	if not check(not proc.is_empty(), "python server started"):
		return
	var port := int(proc["stdio"].get_line())
	if check(port > 0, "python server printed its port"):
		var client = own(RustWebSocketPeer.new())
		client.connect_to_url("wss://localhost:%d/" % port, TLSOptions.client(creds[1]))
		await poll_until([client], func(): return client.get_ready_state() != 0, 10.0)
		if check_eq(client.get_ready_state(), OPEN, "OPEN against Python websockets over TLS"):
			client.send_text("snake")
			client.put_packet(PackedByteArray([4, 5, 6]))
			var got := []
			await poll_until([client], func():
				while client.get_available_packet_count() > 0:
					var p: PackedByteArray = client.get_packet()
					got.append([p.get_string_from_utf8() if client.was_string_packet() else p, client.was_string_packet()])
				return got.size() == 2, 5.0)
			check_eq(got, [["snake", true], [PackedByteArray([4, 5, 6]), false]], "echoed with their types")
			client.close(1000, "bye python")
			await poll_until([client], func(): return client.get_ready_state() == CLOSED, 5.0)
			check_eq(client.get_close_code(), 1000, "clean close")
	OS.kill(proc["pid"])
