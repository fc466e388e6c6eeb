# Runs one README snippet as a game would: the snippet's script on a node named Main
# under the scene tree's root, frame after frame, until every expected line has been
# printed (exit 0) or the time is up (exit 1). Copied into a fresh project by
# tests/readme/run; it names no class of the addon, so it also runs after switching back.
#
#   godot --headless --path PROJECT --script res://readme_runner.gd -- \
#         --snippet=res://client.gd --expect="Got: Hello" [--expect=...] [--seconds=20] [other args]
extends SceneTree


class Output extends Logger:
	var lines := PackedStringArray()
	var lock := Mutex.new()

	func _log_message(message: String, _error: bool) -> void:
		lock.lock()
		lines.append(message.strip_edges())
		lock.unlock()

	func has(text: String) -> bool:
		lock.lock()
		var found := false
		for line in lines:
			if line.contains(text):
				found = true
				break
		lock.unlock()
		return found


var output := Output.new()
var expected := PackedStringArray()
var deadline_ms := 0


func _initialize() -> void:
	var snippet := ""
	var seconds := 20.0
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with("--snippet="):
			snippet = arg.trim_prefix("--snippet=")
		elif arg.begins_with("--expect="):
			expected.append(arg.trim_prefix("--expect="))
		elif arg.begins_with("--seconds="):
			seconds = arg.trim_prefix("--seconds=").to_float()
	if snippet == "" or expected.is_empty():
		printerr("readme runner: give --snippet=PATH and at least one --expect=TEXT")
		quit(2)
		return
	OS.add_logger(output)
	var script: Script = load(snippet)
	if script == null:
		printerr("readme runner: %s does not load" % snippet)
		quit(1)
		return
	var main: Node = script.new()
	main.name = "Main"
	root.add_child(main)
	deadline_ms = Time.get_ticks_msec() + int(seconds * 1000)


func _process(_delta: float) -> bool:
	if deadline_ms == 0:
		return false
	var missing := Array(expected).filter(func(text): return not output.has(text))
	if missing.is_empty():
		print("readme runner: %s: every expected line printed" % OS.get_cmdline_user_args()[0])
		_finish(0)
		return true
	if Time.get_ticks_msec() > deadline_ms:
		printerr("readme runner: never printed: %s" % ", ".join(missing))
		_finish(1)
		return true
	return false


func _finish(code: int) -> void:
	deadline_ms = 0
	OS.remove_logger(output)
	root.get_node("Main").queue_free()
	quit(code)
