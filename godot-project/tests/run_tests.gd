# Headless test runner: finds every res://tests/test_*.gd, runs each `test_*`
# method (awaiting the ones that are coroutines), prints one line per test and
# a final "N passed, N failed" line, and quits with 1 on any failure.
#   godot --headless --path godot-project --script res://tests/run_tests.gd [-- --filter=TEXT]
extends SceneTree

const TESTS_DIR := "res://tests"

var passed := 0
var failed := 0


func _initialize() -> void:
	_run_all.call_deferred()


func _run_all() -> void:
	var filter := ""
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--filter="):
			filter = arg.trim_prefix("--filter=")
	if not ClassDB.class_exists("RustWebSocketPeer"):
		printerr("FATAL: class RustWebSocketPeer is not registered: the extension did not load")
		print("0 passed, 1 failed")
		quit(1)
		return
	var files := DirAccess.get_files_at(TESTS_DIR)
	files.sort()
	for file in files:
		if file.begins_with("test_") and file.ends_with(".gd"):
			await _run_file(TESTS_DIR.path_join(file), filter)
	print("%d passed, %d failed" % [passed, failed])
	quit(1 if failed > 0 else 0)


func _run_file(path: String, filter: String) -> void:
	var script: GDScript = load(path)
	if script == null or not script.can_instantiate():
		_report(path.get_file(), "load", ["script failed to load"])
		return
	for method in script.get_script_method_list():
		var name: String = method["name"]
		if not name.begins_with("test_"):
			continue
		var label := "%s::%s" % [path.get_file().get_basename(), name]
		if filter != "" and not label.contains(filter):
			continue
		var test = script.new()
		test.tree = self
		var started := Time.get_ticks_msec()
		await test.call(name)
		await test.cleanup()
		_report(label, "", test.failures, Time.get_ticks_msec() - started)


func _report(label: String, stage: String, failures: Array, msec := 0) -> void:
	if failures.is_empty():
		passed += 1
		print("ok   %s (%d ms)" % [label, msec])
	else:
		failed += 1
		print("FAIL %s%s" % [label, (" [%s]" % stage) if stage else ""])
		for f in failures:
			print("       - ", f)
