# Base of every test script: assertions that record failures, and helpers to
# drive peers over frames without blocking the engine.
extends RefCounted

const Polling := preload("res://tests/polling.gd")

var tree: SceneTree
var failures: PackedStringArray = []
## Objects to close or free after the test, whatever its outcome.
var _owned: Array = []


func check(condition: bool, what: String) -> bool:
	if not condition:
		failures.append(what)
	return condition


## Equal values of the same type (String and StringName count as one type).
func check_eq(actual, expected, what: String) -> bool:
	var stringy := func(v): return v is String or v is StringName
	var same_type: bool = typeof(actual) == typeof(expected) or (stringy.call(actual) and stringy.call(expected))
	if not same_type or actual != expected:
		failures.append("%s: expected %s, got %s" % [what, var_to_str(expected), var_to_str(actual)])
		return false
	return true


## Keeps `object` for cleanup (peers are closed, servers stopped) and returns it.
func own(object):
	_owned.append(object)
	return object


## Waits one frame.
func frame() -> void:
	await tree.process_frame


## Polls `peers` every frame until `condition` holds or `timeout_s` passes.
## Returns whether it held.
func poll_until(peers: Array, condition: Callable, timeout_s := 5.0) -> bool:
	return await Polling.until(tree, peers, condition, timeout_s)


## Polls `peers` for `seconds`.
func poll_for(peers: Array, seconds: float) -> void:
	await poll_until(peers, func(): return false, seconds)


## Polls `peers` once a frame for `frames` frames.
func poll_frames(peers: Array, frames: int) -> void:
	for i in frames:
		for p in peers:
			p.poll()
		await tree.process_frame


func cleanup() -> void:
	for object in _owned:
		if object is TCPServer:
			object.stop()
		elif object is StreamPeerTCP:
			object.disconnect_from_host()
		elif object != null and object.has_method("close"):
			object.close(-1)
	_owned.clear()
	await tree.process_frame
