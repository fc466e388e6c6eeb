# Many client peers at once: idle client sockets are handed to the readiness
# thread (epoll) and polled without a recv. Messages, closes and dropped
# connections must still be noticed by exactly the right peers.
extends "res://tests/test_case.gd"

const COUNT := 24
const OPEN := 1
const CLOSED := 3


func test_every_client_still_sees_its_own_traffic() -> void:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var clients := []
	var servers := []
	for i in COUNT:
		var c = own(RustWebSocketPeer.new())
		c.connect_to_url("ws://127.0.0.1:%d/" % tcp.get_local_port())
		clients.append(c)
	await poll_until(clients, func():
		while tcp.is_connection_available():
			var s = own(RustWebSocketPeer.new())
			s.accept_stream(tcp.take_connection())
			servers.append(s)
		for s in servers:
			s.poll()
		return servers.size() == COUNT and clients.all(func(c): return c.get_ready_state() == OPEN), 10.0)
	if not check_eq(servers.size(), COUNT, "all accepted"):
		return
	check(clients.all(func(c): return c.get_ready_state() == OPEN), "all clients OPEN")
	await poll_for(clients + servers, 0.1)  # idle rounds
	# Each server names its peer's port, so each client can check it got its own message.
	for s in servers:
		s.send_text("hello %d" % servers.find(s))
	var got := {}
	await poll_until(clients + servers, func():
		for c in clients:
			while c.get_available_packet_count() > 0:
				got[c] = c.get_packet().get_string_from_utf8()
		return got.size() == COUNT, 5.0)
	check_eq(got.size(), COUNT, "every client got one message")
	var texts := got.values()
	texts.sort()
	var expected := range(COUNT).map(func(i): return "hello %d" % i)
	expected.sort()
	check_eq(texts, expected, "each message reached exactly one client")
	# One server drops its connection without a Close, another closes properly.
	servers[5].close(-1)
	servers[17].close(4005, "bye")
	await poll_until(clients + servers, func():
		return clients.filter(func(c): return c.get_ready_state() == CLOSED).size() == 2, 5.0)
	var closed := clients.filter(func(c): return c.get_ready_state() == CLOSED)
	check_eq(closed.size(), 2, "exactly the two affected clients closed")
	var codes := closed.map(func(c): return c.get_close_code())
	codes.sort()
	check_eq(codes, [-1, 4005], "with -1 (dropped) and 4005 (closed)")
