# Opens one pair of peers of one class over loopback, client by connect_to_url and
# server by accept_stream of the TCPServer's next connection, polling both in a tight
# loop (no frames), for the benchmark scripts that measure idle peers.
extends RefCounted

const STATE_OPEN := 1
const TIMEOUT_MS := 10000


## [client, server] once both are OPEN, or [] if they are not within 10 s.
## `accept`, if given, is called as accept.call(server, connection) in place of
## server.accept_stream(connection) (to time that call).
static func open(cls: String, tcp: TCPServer, url: String, accept := Callable()) -> Array:
	var c = ClassDB.instantiate(cls)
	c.connect_to_url(url)
	var s = ClassDB.instantiate(cls)
	var accepted := false
	var deadline := Time.get_ticks_msec() + TIMEOUT_MS
	while c.get_ready_state() != STATE_OPEN or not accepted or s.get_ready_state() != STATE_OPEN:
		c.poll()
		if not accepted and tcp.is_connection_available():
			var connection := tcp.take_connection()
			if accept.is_valid():
				accept.call(s, connection)
			else:
				s.accept_stream(connection)
			accepted = true
		if accepted:
			s.poll()
		if Time.get_ticks_msec() > deadline:
			return []
	return [c, s]
