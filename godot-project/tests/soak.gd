# Many client/server pairs in one process, echoing seeded messages (text and
# binary, 1 B to 16 KiB), some links aborted, dropped or closed cleanly
# mid-stream. Used by test_soak.gd (small) and scripts/soak (large).
extends RefCounted

const CONNECTING := 0
const OPEN := 1
const CLOSING := 2
const CLOSED := 3
const WINDOW := 16  ## messages in flight per link
const WINDOW_BYTES := 48 * 1024  ## and bytes, within the default 64 KiB buffers
const WRITE_TEXT := 0
const WRITE_BINARY := 1

enum Fault { NONE, ABORT, DROP, CLOSE }


class Link:
	var client
	var server
	var stream: StreamPeerTCP
	var fault := Fault.NONE
	var fault_at := 0  ## messages sent (or, for DROP, received by the server) before the fault
	var sent := 0
	var echoed := 0
	var in_flight := 0  ## bytes sent and not yet echoed
	var server_received := 0
	var faulted := false  ## the planned fault happened
	var bad := ""  ## first lost, reordered or corrupt message
	var done := false


var pairs := 100
var messages := 200
var seed := 1
var client_class = RustWebSocketPeer
var server_class = RustWebSocketPeer
var links: Array[Link] = []
var pool := PackedByteArray()  ## random bytes messages are cut from
var text_pool := PackedByteArray()  ## printable ASCII, for text messages
var bytes_moved := 0


func _init(p_pairs: int, p_messages: int, p_seed: int, p_client_class = RustWebSocketPeer, p_server_class = RustWebSocketPeer) -> void:
	pairs = p_pairs
	messages = p_messages
	seed = p_seed
	client_class = p_client_class
	server_class = p_server_class
	var rng := RandomNumberGenerator.new()
	rng.seed = seed
	pool.resize(1 << 17)
	text_pool.resize(1 << 17)
	for i in pool.size():
		pool[i] = rng.randi() & 0xff
		text_pool[i] = 32 + rng.randi() % 95


## Message `index` of link `link_id`: its size, kind and bytes follow from the seed.
func message(link_id: int, index: int) -> Array:
	var h := hash([seed, link_id, index])
	var size := 1 + int(pow(float(h & 0xffff) / 65535.0, 3.0) * 16383.0)
	var is_text := (h >> 16) & 1 == 1
	var offset := (h >> 17) % (pool.size() - size)
	var data := (text_pool if is_text else pool).slice(offset, offset + size)
	# The link and index in the first bytes, so a message from elsewhere shows.
	var tag := ("%d:%d;" % [link_id, index]).to_ascii_buffer()
	for i in mini(tag.size(), size):
		data[i] = tag[i]
	return [data, is_text]


## Opens every link (faults assigned from the seed: one in ten of each kind).
func open(test) -> bool:
	var tcp: TCPServer = test.own(TCPServer.new())
	if tcp.listen(0, "127.0.0.1") != OK:
		return test.check(false, "listen")
	var rng := RandomNumberGenerator.new()
	rng.seed = seed
	for i in pairs:
		var link := Link.new()
		link.client = test.own(client_class.new())
		link.server = test.own(server_class.new())
		match i % 10:
			7: link.fault = Fault.ABORT
			8: link.fault = Fault.DROP
			9: link.fault = Fault.CLOSE
		link.fault_at = rng.randi_range(messages / 10, messages * 9 / 10)
		# One at a time: the engine's TCPServer keeps only 8 pending connections,
		# and this pairs each client with its own server end.
		link.client.connect_to_url("ws://127.0.0.1:%d/soak" % tcp.get_local_port())
		if not await test.poll_until([link.client], tcp.is_connection_available, 10.0):
			return test.check(false, "link %d reached the server" % i)
		link.stream = tcp.take_connection()
		link.server.accept_stream(link.stream)
		links.append(link)
	var peers := []
	for link in links:
		peers.append_array([link.client, link.server])
	var all_open := func():
		return links.all(func(l): return l.client.get_ready_state() == OPEN and l.server.get_ready_state() == OPEN)
	return test.check(await test.poll_until(peers, all_open, 30.0), "all %d links open" % pairs)


## One round of work on every link; true once every link is finished.
func step() -> bool:
	var finished := true
	for i in links.size():
		var link: Link = links[i]
		link.client.poll()
		link.server.poll()
		_serve(link)
		_receive(link, i)
		if not link.faulted:
			_send(link, i)
		if link.done:
			continue
		link.done = _settled(link)
		finished = finished and link.done
	return finished


func _send(link: Link, id: int) -> void:
	while link.sent < messages and link.sent - link.echoed < WINDOW and link.client.get_ready_state() == OPEN:
		if link.fault in [Fault.ABORT, Fault.CLOSE] and link.sent == link.fault_at:
			link.faulted = true
			link.client.close(-1 if link.fault == Fault.ABORT else 1000)
			return
		var m := message(id, link.sent)
		if link.in_flight + m[0].size() > WINDOW_BYTES:
			return
		if link.client.send(m[0], WRITE_TEXT if m[1] else WRITE_BINARY) != OK:
			return
		link.sent += 1
		link.in_flight += m[0].size()
	if link.fault == Fault.NONE and link.echoed == messages and link.client.get_ready_state() == OPEN:
		link.client.close(1000, "done")


## The server echoes what it gets, unless the peer's Close has arrived or the
## app dropped the stream (what arrived before is still read).
func _serve(link: Link) -> void:
	var server = link.server
	while server.get_available_packet_count() > 0:
		if link.fault == Fault.DROP and not link.faulted and link.server_received == link.fault_at:
			link.faulted = true
			link.stream.disconnect_from_host()
		var data: PackedByteArray = server.get_packet()
		var is_text: bool = server.was_string_packet()
		link.server_received += 1
		if not (link.faulted and link.fault == Fault.DROP) and server.get_ready_state() == OPEN and server.get_close_code() == -1:
			server.send(data, WRITE_TEXT if is_text else WRITE_BINARY)
			bytes_moved += data.size()


func _receive(link: Link, id: int) -> void:
	while link.client.get_available_packet_count() > 0:
		var data: PackedByteArray = link.client.get_packet()
		var m := message(id, link.echoed)
		if link.bad == "" and (data != m[0] or link.client.was_string_packet() != m[1]):
			link.bad = "message %d differs (%d bytes, expected %d)" % [link.echoed, data.size(), m[0].size()]
		link.echoed += 1
		link.in_flight -= m[0].size()
		bytes_moved += data.size()


func _settled(link: Link) -> bool:
	return link.client.get_ready_state() == CLOSED and link.server.get_ready_state() == CLOSED


## Checks every link's outcome; returns [unaffected links, messages echoed].
func verify(test) -> Array:
	var clean := 0
	var echoed := 0
	for i in links.size():
		var link: Link = links[i]
		var who := "link %d (%s)" % [i, Fault.keys()[link.fault]]
		echoed += link.echoed
		test.check_eq(link.bad, "", who + ": no lost, reordered or corrupt message")
		test.check(link.done, who + ": both ends CLOSED (states %d/%d, unread %d/%d)" % [
			link.client.get_ready_state(), link.server.get_ready_state(),
			link.client.get_available_packet_count(), link.server.get_available_packet_count()])
		match link.fault:
			Fault.NONE:
				clean += 1
				test.check_eq(link.echoed, messages, who + ": every message echoed")
				test.check_eq([link.client.get_close_code(), link.server.get_close_code()], [1000, 1000], who + ": clean close")
			Fault.ABORT:
				test.check_eq(link.sent, link.fault_at, who + ": aborted where planned")
				test.check_eq([link.client.get_close_code(), link.server.get_close_code()], [-1, -1], who + ": dropped both ends")
			Fault.DROP:
				test.check(link.server_received >= link.fault_at, who + ": dropped after the planned message")
				test.check_eq([link.client.get_close_code(), link.server.get_close_code()], [-1, -1], who + ": dropped both ends")
			Fault.CLOSE:
				test.check_eq(link.server_received, link.fault_at, who + ": every message sent before close() arrived")
				test.check_eq([link.client.get_close_code(), link.server.get_close_code()], [1000, 1000], who + ": clean close mid-stream")
	return [clean, echoed]
