# A server peer from accept_stream finds the StreamPeerTCP's socket (on a thread of its
# own) and watches a copy of its descriptor for input
# (rust/godot/src/transport/socket_lookup.rs, Linux): the copy exists while the
# connection does, and is closed when the peer lets go of it, so the connection really
# ends (a copy left open would keep the socket from closing).
extends "res://tests/test_case.gd"

const Pair := preload("res://tests/pair.gd")


func _descriptors() -> int:
	return DirAccess.get_files_at("/proc/self/fd").size() + DirAccess.get_directories_at("/proc/self/fd").size()


## Descriptors a pair of `cls` adds while open, and those left once both ends closed
## (the listener's only). With `expected_open`, idle polling goes on until the pair
## holds that many (at most 5 s), since the search answers from another thread.
func _descriptors_of_a_pair(cls, expected_open := -1) -> Array:
	var before := _descriptors()
	var p := Pair.new()
	await p.start(self, cls, cls)
	check(p.both_open(), "pair open")
	# Idle polls: the search for our server peer's socket runs on its own thread and
	# answers within milliseconds; then the socket goes to the readiness watcher.
	await poll_for([p.client, p.server], 0.1)
	if expected_open >= 0:
		await poll_until([p.client, p.server], func(): return _descriptors() - before == expected_open, 5.0)
	var open := _descriptors() - before
	p.server.close(1000, "done")
	await poll_until([p.client, p.server], p.both_closed, 5.0)
	check(p.both_closed(), "closed")
	var closed := _descriptors() - before
	p.tcp.stop()
	return [open, closed]


func test_the_watched_copy_lives_as_long_as_the_connection() -> void:
	# A first pair starts the readiness watcher (its epoll descriptor stays).
	await _descriptors_of_a_pair(RustWebSocketPeer)
	var engine: Array = await _descriptors_of_a_pair(WebSocketPeer)
	var ours: Array = await _descriptors_of_a_pair(RustWebSocketPeer, engine[0] + 1)
	check_eq(engine, [3, 1], "engine pair: listener, client and server sockets; then the listener")
	check_eq(ours[0], engine[0] + 1, "ours holds one more while open: the watched copy")
	check_eq(ours[1], engine[1], "closed: the copy is gone with the connection")
